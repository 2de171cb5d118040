//! Sample-rate conversion of whole files with rubato's synchronous FFT resampler.

use rubato::{FftFixedIn, Resampler};

/// The frame count of `frames` input frames at `from` Hz converted to `to` Hz (rounded).
pub fn output_frames(frames: usize, from: u32, to: u32) -> usize {
    ((frames as u128 * to as u128 + from as u128 / 2) / from as u128) as usize
}

/// Resamples planar `channels` from `from` Hz to `to` Hz. The result is aligned with the input
/// (the resampler's delay removed) and holds exactly [`output_frames`] frames. `progress` is
/// called with the input frames consumed so far.
pub fn resample(
    channels: &[Vec<f32>],
    from: u32,
    to: u32,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Vec<f32>>, String> {
    if from == to {
        return Ok(channels.to_vec());
    }
    let nch = channels.len();
    let frames = channels.first().map(|c| c.len()).unwrap_or(0);
    let wanted = output_frames(frames, from, to);
    // Chunks of an even number of the smallest whole periods of both rates, so that the FFT
    // lengths are even and the resampler's delay is a whole number of output frames (with an odd
    // count its reported delay is half a frame off).
    let g = gcd(from as usize, to as usize);
    let min_in = from as usize / g;
    let k = 4096usize.div_ceil(min_in).next_multiple_of(2).max(2);
    let mut r = FftFixedIn::<f32>::new(from as usize, to as usize, k * min_in, 1, nch)
        .map_err(|e| format!("cannot resample {from} → {to} Hz: {e}"))?;
    let delay = r.output_delay();
    let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(wanted + delay + 8192); nch];
    let mut outbuf = r.output_buffer_allocate(true);
    let append = |out: &mut Vec<Vec<f32>>, buf: &[Vec<f32>], n: usize| {
        for (o, b) in out.iter_mut().zip(buf) {
            o.extend_from_slice(&b[..n]);
        }
    };
    let fail = |e: rubato::ResampleError| format!("resampling failed: {e}");
    let mut pos = 0;
    loop {
        let need = r.input_frames_next();
        if pos + need > frames {
            break;
        }
        let chunk: Vec<&[f32]> = channels.iter().map(|c| &c[pos..pos + need]).collect();
        let (_, n) = r
            .process_into_buffer(&chunk, &mut outbuf, None)
            .map_err(fail)?;
        append(&mut out, &outbuf, n);
        pos += need;
        progress(pos);
    }
    if pos < frames {
        let rest: Vec<&[f32]> = channels.iter().map(|c| &c[pos..]).collect();
        let (_, n) = r
            .process_partial_into_buffer(Some(&rest), &mut outbuf, None)
            .map_err(fail)?;
        append(&mut out, &outbuf, n);
    }
    // Flush the resampler's delay with silence.
    while out[0].len() < wanted + delay {
        let (_, n) = r
            .process_partial_into_buffer(None::<&[&[f32]]>, &mut outbuf, None)
            .map_err(fail)?;
        if n == 0 {
            break;
        }
        append(&mut out, &outbuf, n);
    }
    progress(frames);
    Ok(out
        .into_iter()
        .map(|mut c| {
            c.drain(..delay.min(c.len()));
            c.resize(wanted, 0.0);
            c
        })
        .collect())
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, f: f64, rate: u32) -> Vec<f32> {
        (0..n)
            .map(|i| (0.5 * (2.0 * std::f64::consts::PI * f * i as f64 / rate as f64).sin()) as f32)
            .collect()
    }

    #[test]
    fn a_sine_keeps_its_level_phase_and_length() {
        for (from, to) in [
            (48_000u32, 44_100u32),
            (44_100, 48_000),
            (48_000, 96_000),
            (96_000, 48_000),
            (44_100, 8_000),
        ] {
            let n = from as usize / 2 + 123;
            let x = sine(n, 500.0, from);
            let y = resample(&[x.clone(), x], from, to, &mut |_| {}).unwrap();
            assert_eq!(y[1].len(), output_frames(n, from, to), "{from} → {to}");
            // Away from the edges the output is the same sine sampled at the new rate, in time
            // with the input.
            let want = sine(y[0].len(), 500.0, to);
            let err = (to as usize / 50..y[0].len() - to as usize / 50)
                .map(|i| (y[0][i] - want[i]).abs())
                .fold(0.0, f32::max);
            assert!(err < 1e-4, "{from} → {to}: {err}");
        }
    }
}
