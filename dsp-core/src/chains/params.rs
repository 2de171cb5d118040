//! A chain's parameter table: every parameter's stable ID, display name, unit, range, default,
//! neutral value and (for a menu) its choices, in the chain's stable order. Each chain holds one
//! ([`super::Chain::params`]); the plugins build their host parameters from it and a test pins
//! them to it, the CLI validates `--set` with it, and the audio thread reads a parameter's
//! neutral value by index.

/// How a parameter's plain value is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A continuous value in `min..=max`.
    Float,
    /// 0 = off, 1 = on (≥ 0.5 reads as on).
    Bool,
    /// A menu: the index `0..=max` (rounded) of one of [`ParamInfo::choices`].
    Enum,
}

/// One parameter of a chain: stable ID, display name, unit, range, default and neutral value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamInfo {
    /// Stable parameter ID, never renamed.
    pub id: &'static str,
    /// Display name (what the host shows).
    pub name: &'static str,
    /// Unit label ("dB", "Hz", "ms", "%", "dBTP", "dBFS", ":1", "" for menus, switches and Q).
    pub unit: &'static str,
    /// Lowest plain value.
    pub min: f32,
    /// Highest plain value.
    pub max: f32,
    /// Default plain value.
    pub default: f32,
    /// The value an "amount" of 0 scales to (`None`: taken as is).
    pub neutral: Option<f32>,
    /// Float, bool or enum.
    pub kind: ParamKind,
    /// A menu's entries in index order, as the host shows them (empty for the other kinds).
    pub choices: &'static [&'static str],
}

impl ParamInfo {
    /// A continuous parameter.
    pub const fn float(
        id: &'static str,
        name: &'static str,
        unit: &'static str,
        min: f32,
        max: f32,
        default: f32,
        neutral: Option<f32>,
    ) -> Self {
        Self {
            id,
            name,
            unit,
            min,
            max,
            default,
            neutral,
            kind: ParamKind::Float,
            choices: &[],
        }
    }

    /// A switch; `neutral` is what an amount of 0 scales it to (`None`: taken as is).
    pub const fn boolean(
        id: &'static str,
        name: &'static str,
        default: bool,
        neutral: Option<bool>,
    ) -> Self {
        const fn value(b: bool) -> f32 {
            if b {
                1.0
            } else {
                0.0
            }
        }
        Self {
            id,
            name,
            unit: "",
            min: 0.0,
            max: 1.0,
            default: value(default),
            neutral: match neutral {
                Some(b) => Some(value(b)),
                None => None,
            },
            kind: ParamKind::Bool,
            choices: &[],
        }
    }

    /// A menu of `choices`, `default` its index; taken as is by amount scaling.
    pub const fn menu(
        id: &'static str,
        name: &'static str,
        choices: &'static [&'static str],
        default: usize,
    ) -> Self {
        Self {
            id,
            name,
            unit: "",
            min: 0.0,
            max: (choices.len() - 1) as f32,
            default: default as f32,
            neutral: None,
            kind: ParamKind::Enum,
            choices,
        }
    }

    /// `value` made valid for this parameter: clamped, bools to 0/1, enums rounded; NaN/Inf
    /// give the default.
    pub fn sanitize(&self, value: f32) -> f32 {
        if !value.is_finite() {
            return self.default;
        }
        match self.kind {
            ParamKind::Float => value.clamp(self.min, self.max),
            ParamKind::Bool => {
                if value >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
            ParamKind::Enum => value.round().clamp(self.min, self.max),
        }
    }

    /// Checks a value given by hand (`tandem render --set`): finite, within the range, exactly
    /// 0 or 1 for a switch, a whole index for a menu. The error is one line that says what the
    /// parameter takes.
    pub fn check(&self, value: f32) -> Result<(), String> {
        let id = self.id;
        if !value.is_finite() {
            return Err(format!("{id}={value}: not a finite number"));
        }
        match self.kind {
            ParamKind::Float if !(self.min..=self.max).contains(&value) => {
                let unit = if self.unit.is_empty() {
                    String::new()
                } else {
                    format!(" {}", self.unit)
                };
                Err(format!(
                    "{id}={value}: out of range ({} to {}{unit})",
                    self.min, self.max
                ))
            }
            ParamKind::Bool if value != 0.0 && value != 1.0 => Err(format!(
                "{id}={value}: not a valid choice (0 = off, 1 = on)"
            )),
            ParamKind::Enum if value.fract() != 0.0 || !(self.min..=self.max).contains(&value) => {
                let menu: Vec<String> = self
                    .choices
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{i} = {c}"))
                    .collect();
                Err(format!(
                    "{id}={value}: not a valid choice ({})",
                    menu.join(", ")
                ))
            }
            _ => Ok(()),
        }
    }

    /// A value given as text (`tandem render --set`): a number, or for a menu one of its
    /// entries and for a switch `on`/`off` (`true`/`false`, `yes`/`no`), ignoring case, spaces,
    /// `-`, `_` and `/` (`low_shelf`, `"Low Shelf"`, `lowshelf`). Not checked against the range
    /// (see [`check`](Self::check)).
    pub fn parse(&self, text: &str) -> Result<f32, String> {
        let text = text.trim();
        if let Ok(v) = text.parse::<f32>() {
            return Ok(v);
        }
        let key = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let k = key(text);
        let found = match self.kind {
            ParamKind::Enum => self
                .choices
                .iter()
                .position(|c| key(c) == k)
                .map(|i| i as f32),
            ParamKind::Bool => match k.as_str() {
                "on" | "true" | "yes" => Some(1.0),
                "off" | "false" | "no" => Some(0.0),
                _ => None,
            },
            ParamKind::Float => None,
        };
        found.ok_or_else(|| {
            let takes = match self.kind {
                ParamKind::Enum => format!("a number or one of {}", self.choices.join(", ")),
                ParamKind::Bool => "a number or on/off".to_string(),
                ParamKind::Float => "a number".to_string(),
            };
            format!("{}={text}: expected {takes}", self.id)
        })
    }
}

/// The index of parameter `id` in `table`, `None` for an unknown ID.
pub fn index_of(table: &[ParamInfo], id: &str) -> Option<usize> {
    table.iter().position(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAIN: ParamInfo = ParamInfo::float("g", "Gain", "dB", -24.0, 24.0, 0.0, Some(0.0));
    const ON: ParamInfo = ParamInfo::boolean("on", "On", true, None);
    const MODE: ParamInfo = ParamInfo::menu("m", "Mode", &["A", "B", "C"], 1);

    /// Sanitising clamps, rounds and replaces non-finite values by the default; the check
    /// refuses what sanitising would change, and says what the parameter takes.
    #[test]
    fn sanitize_and_check_agree() {
        assert_eq!(GAIN.sanitize(30.0), 24.0);
        assert_eq!(GAIN.sanitize(f32::NAN), 0.0);
        assert_eq!(ON.sanitize(0.7), 1.0);
        assert_eq!(ON.sanitize(f32::NEG_INFINITY), 1.0);
        assert_eq!(MODE.sanitize(1.6), 2.0);
        assert_eq!(MODE.sanitize(-3.0), 0.0);
        assert_eq!((MODE.max, MODE.default), (2.0, 1.0));
        for (p, v) in [
            (GAIN, -24.0),
            (GAIN, 3.5),
            (ON, 0.0),
            (ON, 1.0),
            (MODE, 2.0),
        ] {
            assert_eq!(p.check(v), Ok(()), "{} = {v}", p.id);
            assert_eq!(p.sanitize(v), v);
        }
        let err = |p: ParamInfo, v: f32| p.check(v).unwrap_err();
        assert!(err(GAIN, 24.5).contains("out of range (-24 to 24 dB)"));
        assert!(err(GAIN, f32::NAN).contains("not a finite number"));
        assert!(err(ON, 0.5).contains("0 = off, 1 = on"));
        assert!(err(MODE, 1.5).contains("0 = A, 1 = B, 2 = C"));
        assert!(err(MODE, 3.0).contains("not a valid choice"));
        assert_eq!(index_of(&[GAIN, ON, MODE], "m"), Some(2));
        assert_eq!(index_of(&[GAIN, ON, MODE], "x"), None);
    }

    /// Text takes numbers everywhere, menu entries and switch words where they apply.
    #[test]
    fn text_takes_numbers_menu_entries_and_switch_words() {
        assert_eq!(GAIN.parse(" -3.5 "), Ok(-3.5));
        assert!(GAIN
            .parse("loud")
            .unwrap_err()
            .contains("expected a number"));
        assert_eq!(MODE.parse("b"), Ok(1.0));
        assert_eq!(MODE.parse("2"), Ok(2.0));
        assert!(MODE.parse("D").unwrap_err().contains("one of A, B, C"));
        assert_eq!(ON.parse("Off"), Ok(0.0));
        assert_eq!(ON.parse("yes"), Ok(1.0));
        assert!(ON.parse("maybe").is_err());
        let shelf = crate::chains::eq::PARAMS[1];
        assert_eq!(shelf.parse("low_shelf"), Ok(1.0));
        assert_eq!(shelf.parse("High Shelf"), Ok(2.0));
        let dither = crate::chains::master::PARAMS
            .iter()
            .find(|p| p.id == "dither")
            .unwrap();
        assert_eq!(dither.parse("16-bit"), Ok(1.0));
    }
}
