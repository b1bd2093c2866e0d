//! Positions on the ground: what a latitude and longitude pair may be, how far
//! apart two are, and the box of degrees a radius covers (for an index range).

use crate::{Error, Result};

/// WGS-84 degrees, latitude first.
pub type Point = (f64, f64);

/// Both or neither, each finite and in range; the error names the field.
pub fn coordinates(lat: Option<f64>, lon: Option<f64>) -> Result<Option<Point>> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => Err(Error::invalid(
            if lat.is_none() { "lat" } else { "lon" },
            "coordinates_pair",
            "经度和纬度须同时填写",
            "give both latitude and longitude, or neither",
        )),
        (Some(la), Some(lo)) => {
            if !(la.is_finite() && (-90.0..=90.0).contains(&la)) {
                return Err(Error::invalid(
                    "lat",
                    "coordinates_range",
                    format!("纬度应在-90到90之间,收到{la}"),
                    format!("latitude is between -90 and 90, got {la}"),
                ));
            }
            if !(lo.is_finite() && (-180.0..=180.0).contains(&lo)) {
                return Err(Error::invalid(
                    "lon",
                    "coordinates_range",
                    format!("经度应在-180到180之间,收到{lo}"),
                    format!("longitude is between -180 and 180, got {lo}"),
                ));
            }
            Ok(Some((la, lo)))
        }
    }
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(a: Point, b: Point) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

/// The latitude and longitude bounds of every point within `radius_m` of
/// `centre`, a little generous: SQL narrows with it, `distance_m` decides.
pub fn bounds(centre: Point, radius_m: f64) -> (f64, f64, f64, f64) {
    let r = radius_m.max(0.0);
    let dlat = r / 111_320.0;
    // Near the poles a degree of longitude shrinks to nothing; the floor keeps
    // the box finite there.
    let dlon = r / (111_320.0 * centre.0.to_radians().cos().abs().max(0.01));
    (
        centre.0 - dlat,
        centre.0 + dlat,
        centre.1 - dlon,
        centre.1 + dlon,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_is_about_right() {
        // One thousandth of a degree of latitude is about 111 m.
        let d = distance_m((35.25, 115.45), (35.251, 115.45));
        assert!((d - 111.2).abs() < 0.5, "{d}");
        assert_eq!(distance_m((35.0, 115.0), (35.0, 115.0)), 0.0);
    }

    #[test]
    fn bounds_hold_the_circle() {
        let c = (35.25, 115.45);
        let (a, b, l, r) = bounds(c, 2000.0);
        for p in [(a, c.1), (b, c.1), (c.0, l), (c.0, r)] {
            let d = distance_m(c, p);
            assert!((1990.0..2010.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn coordinates_name_the_bad_field() {
        assert_eq!(coordinates(None, None).ok(), Some(None));
        let e = coordinates(Some(35.0), None).err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.contains("经度和纬度")));
        match coordinates(Some(35.0), Some(181.0)) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "lon"),
            other => panic!("{other:?}"),
        }
        match coordinates(Some(f64::NAN), Some(1.0)) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "lat"),
            other => panic!("{other:?}"),
        }
    }
}
