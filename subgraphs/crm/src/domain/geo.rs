//! Distances on the Earth: the great-circle (haversine) distance and the
//! bounding box that lets an index on latitude and longitude pre-select
//! candidates before the exact distance is computed.

use super::Invalid;

/// Mean Earth radius in kilometres (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
/// The largest radius a search accepts (half the Earth's circumference).
pub const MAX_RADIUS_KM: f64 = 20_015.0;

/// A point in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latitude, -90..90.
    pub latitude: f64,
    /// Longitude, -180..180.
    pub longitude: f64,
}

/// The great-circle distance between two points, in kilometres (haversine formula).
pub fn distance_km(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A latitude range and one or two longitude ranges (two when the box crosses the antimeridian).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundingBox {
    /// Minimum latitude.
    pub min_latitude: f64,
    /// Maximum latitude.
    pub max_latitude: f64,
    /// Longitude ranges; empty means every longitude (the box reaches a pole).
    pub longitudes: Vec<(f64, f64)>,
}

/// The smallest latitude/longitude box that holds every point within `radius_km` of `center`.
pub fn bounding_box(center: Point, radius_km: f64) -> BoundingBox {
    let angular = radius_km / EARTH_RADIUS_KM;
    let dlat = angular.to_degrees();
    let min_latitude = center.latitude - dlat;
    let max_latitude = center.latitude + dlat;
    if min_latitude <= -90.0 || max_latitude >= 90.0 {
        return BoundingBox {
            min_latitude: min_latitude.max(-90.0),
            max_latitude: max_latitude.min(90.0),
            longitudes: Vec::new(),
        };
    }
    // The widest longitude span is at the latitude nearest a pole within the box.
    let dlon = (angular.sin() / center.latitude.to_radians().cos())
        .clamp(-1.0, 1.0)
        .asin()
        .to_degrees();
    let (west, east) = (center.longitude - dlon, center.longitude + dlon);
    let longitudes = if dlon >= 180.0 {
        Vec::new()
    } else if west < -180.0 {
        vec![(west + 360.0, 180.0), (-180.0, east)]
    } else if east > 180.0 {
        vec![(west, 180.0), (-180.0, east - 360.0)]
    } else {
        vec![(west, east)]
    };
    BoundingBox {
        min_latitude,
        max_latitude,
        longitudes,
    }
}

/// Checks a search's centre and radius.
pub fn check_search(center: Point, radius_km: f64) -> Result<(), Invalid> {
    if !(center.latitude.is_finite() && (-90.0..=90.0).contains(&center.latitude)) {
        return Err(Invalid::new(
            "latitude",
            "latitude must be between -90 and 90",
        ));
    }
    if !(center.longitude.is_finite() && (-180.0..=180.0).contains(&center.longitude)) {
        return Err(Invalid::new(
            "longitude",
            "longitude must be between -180 and 180",
        ));
    }
    if !(radius_km.is_finite() && radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
        return Err(Invalid::new(
            "radiusKm",
            format!("radiusKm must be greater than 0 and at most {MAX_RADIUS_KM}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MADRID: Point = Point {
        latitude: 40.4168,
        longitude: -3.7038,
    };
    const BARCELONA: Point = Point {
        latitude: 41.3874,
        longitude: 2.1686,
    };

    #[test]
    fn known_distances() {
        // Madrid - Barcelona is about 505 km as the crow flies.
        let d = distance_km(MADRID, BARCELONA);
        assert!((d - 505.0).abs() < 5.0, "{d}");
        assert!(distance_km(MADRID, MADRID) < 1e-9);
    }

    #[test]
    fn the_box_holds_the_circle_and_wraps_the_antimeridian() {
        let b = bounding_box(MADRID, 600.0);
        assert!(b.min_latitude < BARCELONA.latitude && BARCELONA.latitude < b.max_latitude);
        assert!(b.longitudes[0].0 < BARCELONA.longitude && BARCELONA.longitude < b.longitudes[0].1);
        let fiji = Point {
            latitude: -17.7,
            longitude: 179.5,
        };
        assert_eq!(bounding_box(fiji, 200.0).longitudes.len(), 2);
        let pole = Point {
            latitude: 89.5,
            longitude: 0.0,
        };
        assert!(bounding_box(pole, 200.0).longitudes.is_empty());
        assert!(check_search(MADRID, 0.0).is_err());
    }
}
