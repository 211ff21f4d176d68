//! Command-line flags shared by the fractal examples: `--name value` pairs.
#![allow(dead_code)] // each example uses a subset

use streamcore::prelude::*;

/// The flags given, as (name, value) pairs.
pub struct Args(Vec<String>);

impl Args {
    pub fn from_env() -> Args {
        Args(std::env::args().skip(1).collect())
    }

    /// The value after `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        let flag = format!("--{name}");
        let i = self.0.iter().position(|a| *a == flag)?;
        self.0.get(i + 1).map(String::as_str)
    }

    /// True when `--name` is present.
    pub fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|a| *a == format!("--{name}"))
    }

    /// The value after `--name` parsed, or `default`.
    pub fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| Error::InvalidArgument {
                op: "example flags",
                detail: format!("--{name} {v:?} is not a valid number"),
            }),
        }
    }

    /// The view's width in the plane: `--span` (default `span`) divided by `--zoom` (a
    /// magnification, default 1; it must be positive and finite).
    pub fn span(&self, span: f64) -> Result<f64> {
        let zoom: f64 = self.num("zoom", 1.0)?;
        if !(zoom.is_finite() && zoom > 0.0) {
            return Err(Error::InvalidArgument {
                op: "example flags",
                detail: format!("--zoom {zoom} must be a positive, finite magnification"),
            });
        }
        Ok(self.num("span", span)? / zoom)
    }

    /// The device named by `--device` (default `best`).
    pub fn device(&self) -> Result<Device> {
        Device::open(self.get("device").unwrap_or("best"))
    }
}
