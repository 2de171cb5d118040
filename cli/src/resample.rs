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
    let mut r = FftFixedIn::<f32>::new(from as usize, to as usize, 4096, 2, nch)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sine_keeps_its_level_phase_and_length() {
        let (from, to) = (48_000u32, 44_100u32);
        let n = 48_000 + 123;
        let f = 1000.0;
        let x: Vec<f32> = (0..n)
            .map(|i| (0.5 * (2.0 * std::f64::consts::PI * f * i as f64 / from as f64).sin()) as f32)
            .collect();
        let y = resample(&[x.clone(), x], from, to, &mut |_| {}).unwrap();
        assert_eq!(y[0].len(), output_frames(n, from, to));
        // Away from the edges the output is the same sine sampled at 44.1 kHz.
        let err = (2000..y[0].len() - 2000)
            .map(|i| {
                let want = 0.5 * (2.0 * std::f64::consts::PI * f * i as f64 / to as f64).sin();
                (y[0][i] as f64 - want).abs()
            })
            .fold(0.0, f64::max);
        assert!(err < 1e-3, "{err}");
    }
}
