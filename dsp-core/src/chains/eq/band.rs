//! One EQ band as the chain runs it: its filter cascade (gliding to new settings), the crossfade
//! when its structure changes, and its block path.

use super::*;

/// True when `a` can glide into `b` (same kind and, for cuts, same order).
pub(super) fn same_structure(a: &FilterSpec, b: &FilterSpec) -> bool {
    a.kind == b.kind
        && match a.kind {
            FilterKind::LowPass | FilterKind::HighPass => a.cut_order() == b.cut_order(),
            _ => true,
        }
}

/// One band's running state: its cascade and its crossfade.
#[derive(Debug, Clone)]
pub(super) struct BandRunner {
    pub(super) cascade: FilterCascade,
    /// The spec the cascade runs (or glides to).
    pub(super) spec: FilterSpec,
    /// The placement the cascade runs at.
    pub(super) placement: Placement,
    /// Crossfade position 0…fade_len (wet fraction = fade_pos / fade_len).
    pub(super) fade_pos: u32,
    /// Fade direction: towards fully wet (true) or fully dry (false).
    pub(super) fade_up: bool,
    /// A structural change waiting for the fade-out to finish.
    pub(super) pending: Option<(FilterSpec, Placement)>,
}

impl BandRunner {
    pub(super) fn is_idle(&self) -> bool {
        self.fade_pos == 0 && !self.fade_up && self.pending.is_none()
    }

    /// Fully on, not fading, nothing pending: the band is its cascade, exactly (which may be
    /// gliding).
    pub(super) fn is_fully_on(&self, fade_len: u32) -> bool {
        self.fade_up && self.fade_pos >= fade_len && self.pending.is_none()
    }

    pub(super) fn update(&mut self, band: &BandSettings) {
        let spec = band.filter_spec();
        let placement = band.placement;
        if !band.enabled {
            self.pending = None;
            self.fade_up = false;
            if self.fade_pos == 0 {
                self.spec = spec;
                self.placement = placement;
                self.cascade.set_spec_immediate(spec);
            }
            return;
        }
        if self.is_idle() {
            self.start(spec, placement);
            return;
        }
        if same_structure(&self.spec, &spec) && placement == self.placement {
            self.cascade.set_spec(spec);
            self.spec = spec;
            self.pending = None;
            self.fade_up = true;
        } else {
            self.pending = Some((spec, placement));
            self.fade_up = false;
        }
    }

    /// Starts from silence with `spec`, fading in.
    pub(super) fn start(&mut self, spec: FilterSpec, placement: Placement) {
        self.cascade.set_spec_immediate(spec);
        self.cascade.reset();
        self.spec = spec;
        self.placement = placement;
        self.fade_up = true;
    }

    pub(super) fn update_immediate(&mut self, band: &BandSettings, fade_len: u32) {
        let spec = band.filter_spec();
        let was_idle = self.is_idle();
        self.pending = None;
        self.spec = spec;
        self.placement = band.placement;
        self.cascade.set_spec_immediate(spec);
        if band.enabled {
            if was_idle {
                self.cascade.reset();
            }
            self.fade_pos = fade_len;
            self.fade_up = true;
        } else {
            self.fade_pos = 0;
            self.fade_up = false;
        }
    }

    /// Finishes any fade and applies a pending change (for `reset`).
    pub(super) fn settle(&mut self, fade_len: u32) {
        if let Some((spec, placement)) = self.pending.take() {
            self.start(spec, placement);
        }
        self.fade_pos = if self.fade_up { fade_len } else { 0 };
        self.cascade.reset();
    }
}

/// Scratch buffers for one block (allocated at construction).
#[derive(Debug, Clone)]
pub(super) struct Scratch {
    pub(super) dry_l: Vec<f32>,
    pub(super) dry_r: Vec<f32>,
    pub(super) mid: Vec<f32>,
    pub(super) side: Vec<f32>,
}

/// Runs one band's cascade on a segment, in its placement.
pub(super) fn run_band(
    cascade: &mut FilterCascade,
    placement: Placement,
    l: &mut [f32],
    r: Option<&mut [f32]>,
    mid: &mut [f32],
    side: &mut [f32],
) {
    match r {
        None => {
            if placement != Placement::Side {
                cascade.process(&mut [l]);
            }
        }
        Some(r) => match placement {
            Placement::Stereo => cascade.process(&mut [l, r]),
            Placement::Left => cascade.process(&mut [l]),
            Placement::Right => cascade.process(&mut [r]),
            Placement::Mid | Placement::Side => {
                let n = l.len();
                let (m, s) = (&mut mid[..n], &mut side[..n]);
                for i in 0..n {
                    m[i] = 0.5 * (l[i] + r[i]);
                    s[i] = 0.5 * (l[i] - r[i]);
                }
                if placement == Placement::Mid {
                    cascade.process(&mut [&mut *m]);
                } else {
                    cascade.process(&mut [&mut *s]);
                }
                for i in 0..n {
                    l[i] = m[i] + s[i];
                    r[i] = m[i] - s[i];
                }
            }
        },
    }
}

impl BandRunner {
    /// Processes one block (at most the scratch length) through this band, crossfading as
    /// needed. Segment boundaries fall at fixed positions of the fade, so the output does not
    /// depend on the host's block sizes.
    pub(super) fn process(
        &mut self,
        l: &mut [f32],
        mut r: Option<&mut [f32]>,
        scratch: &mut Scratch,
        fade_len: u32,
    ) {
        let n = l.len();
        let mut pos = 0;
        while pos < n {
            if self.fade_pos == 0 && !self.fade_up {
                match self.pending.take() {
                    Some((spec, placement)) => self.start(spec, placement),
                    None => return,
                }
            }
            let full = self.fade_up && self.fade_pos >= fade_len;
            let len = if full {
                n - pos
            } else {
                let remaining = if self.fade_up {
                    fade_len - self.fade_pos
                } else {
                    self.fade_pos
                };
                (remaining as usize).min(n - pos)
            };
            let seg_l = &mut l[pos..pos + len];
            let mut seg_r = r.as_deref_mut().map(|r| &mut r[pos..pos + len]);
            if full {
                run_band(
                    &mut self.cascade,
                    self.placement,
                    seg_l,
                    seg_r,
                    &mut scratch.mid,
                    &mut scratch.side,
                );
            } else {
                let dry_l = &mut scratch.dry_l[..len];
                dry_l.copy_from_slice(seg_l);
                let dry_r = &mut scratch.dry_r[..len];
                if let Some(sr) = seg_r.as_deref() {
                    dry_r.copy_from_slice(sr);
                }
                run_band(
                    &mut self.cascade,
                    self.placement,
                    seg_l,
                    seg_r.as_deref_mut(),
                    &mut scratch.mid,
                    &mut scratch.side,
                );
                let inv = 1.0 / fade_len as f32;
                let mut fp = self.fade_pos;
                for i in 0..len {
                    if self.fade_up {
                        fp += 1;
                    } else {
                        fp -= 1;
                    }
                    let g = fp as f32 * inv;
                    seg_l[i] = dry_l[i] + g * (seg_l[i] - dry_l[i]);
                    if let Some(sr) = seg_r.as_deref_mut() {
                        sr[i] = dry_r[i] + g * (sr[i] - dry_r[i]);
                    }
                }
                self.fade_pos = fp;
            }
            pos += len;
        }
    }
}
