//! Screenshots as data, for the tests that put an editor on screen: a binary PPM reader (what
//! ImageMagick's `convert x.png ppm:-` writes), how much is drawn in a region, and how much a
//! region changed between two screenshots.

/// An RGB image, 8 bits per channel, rows top to bottom.
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    /// RGB bytes, rows top to bottom.
    pub data: Vec<u8>,
}

impl Rgb {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = 3 * (y as usize * self.width as usize + x as usize);
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Parses a binary PPM (P6, maxval 255), which ImageMagick's `convert x.png ppm:-` writes.
    pub fn from_ppm(bytes: &[u8]) -> Result<Rgb, String> {
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'#' {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if start == i {
                return Err("truncated PPM header".into());
            }
            fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
        }
        i += 1; // the single whitespace byte after maxval
        if fields[0] != "P6" || fields[3] != "255" {
            return Err(format!("not an 8-bit P6 PPM: {fields:?}"));
        }
        let width: u32 = fields[1].parse().map_err(|e| format!("width: {e}"))?;
        let height: u32 = fields[2].parse().map_err(|e| format!("height: {e}"))?;
        let len = 3 * width as usize * height as usize;
        let data = bytes
            .get(i..i + len)
            .ok_or_else(|| format!("PPM has {} pixel bytes, expected {len}", bytes.len() - i))?
            .to_vec();
        Ok(Rgb {
            width,
            height,
            data,
        })
    }
}

/// A named rectangle, pixels, end-exclusive.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    pub name: &'static str,
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

/// How much is drawn in a region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Busyness {
    /// Standard deviation of the luma (0–255).
    pub luma_std: f64,
    /// Distinct colours (exact RGB triples).
    pub colours: usize,
    /// Share of pixels that differ from the most common colour.
    pub non_background: f64,
}

impl Busyness {
    /// Drawn on: more than a flat fill with a few stray pixels. An empty analyzer's grid (about
    /// 10 colours, 7 % of its pixels, luma std-dev 14) or a panel with one card of text on it
    /// (hundreds of colours, 14 %, 12) passes; a uniform or nearly uniform fill does not.
    pub fn is_drawn(&self) -> bool {
        self.luma_std >= 3.0 && self.colours >= 4 && self.non_background >= 0.01
    }
}

/// How much is drawn in `r` of `img`.
pub fn busyness(img: &Rgb, r: Region) -> Busyness {
    let (x1, y1) = (r.x1.min(img.width), r.y1.min(img.height));
    let mut counts: std::collections::HashMap<[u8; 3], usize> = Default::default();
    let (mut sum, mut sum2, mut n) = (0.0f64, 0.0f64, 0usize);
    for y in r.y0..y1 {
        for x in r.x0..x1 {
            let p = img.pixel(x, y);
            *counts.entry(p).or_default() += 1;
            let luma = 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64;
            sum += luma;
            sum2 += luma * luma;
            n += 1;
        }
    }
    if n == 0 {
        return Busyness {
            luma_std: 0.0,
            colours: 0,
            non_background: 0.0,
        };
    }
    let mean = sum / n as f64;
    let most = counts.values().copied().max().unwrap_or(0);
    Busyness {
        luma_std: (sum2 / n as f64 - mean * mean).max(0.0).sqrt(),
        colours: counts.len(),
        non_background: 1.0 - most as f64 / n as f64,
    }
}

/// Mean absolute difference (0–255, over the three channels) between two images of the same
/// size inside `r`: how much changed there between two screenshots.
pub fn mean_abs_diff(a: &Rgb, b: &Rgb, r: Region) -> f64 {
    assert_eq!(
        (a.width, a.height),
        (b.width, b.height),
        "images differ in size"
    );
    let (x1, y1) = (r.x1.min(a.width), r.y1.min(a.height));
    let (mut sum, mut n) = (0u64, 0u64);
    for y in r.y0..y1 {
        for x in r.x0..x1 {
            let (p, q) = (a.pixel(x, y), b.pixel(x, y));
            sum += (0..3).map(|c| p[c].abs_diff(q[c]) as u64).sum::<u64>();
            n += 3;
        }
    }
    if n == 0 {
        0.0
    } else {
        sum as f64 / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppm_parser_reads_what_imagemagick_writes() {
        let mut bytes = b"P6\n# made by hand\n2 1\n255\n".to_vec();
        bytes.extend_from_slice(&[1, 2, 3, 250, 251, 252]);
        let img = Rgb::from_ppm(&bytes).unwrap();
        assert_eq!((img.width, img.height), (2, 1));
        assert_eq!(img.pixel(1, 0), [250, 251, 252]);
        assert!(Rgb::from_ppm(b"P6\n2 1\n255\n\x01\x02").is_err());
        assert!(Rgb::from_ppm(b"P3\n1 1\n255\n1 2 3").is_err());
    }

    #[test]
    fn differences_are_measured_inside_the_region_only() {
        let a = Rgb {
            width: 4,
            height: 2,
            data: vec![10; 24],
        };
        let mut b = Rgb {
            width: 4,
            height: 2,
            data: vec![10; 24],
        };
        b.data[0..3].copy_from_slice(&[40, 40, 40]); // pixel (0, 0)
        let all = Region {
            name: "all",
            x0: 0,
            y0: 0,
            x1: 4,
            y1: 2,
        };
        let right = Region {
            name: "right",
            x0: 2,
            y0: 0,
            x1: 4,
            y1: 2,
        };
        assert_eq!(mean_abs_diff(&a, &b, all), 30.0 / 8.0);
        assert_eq!(mean_abs_diff(&a, &b, right), 0.0);
    }
}
