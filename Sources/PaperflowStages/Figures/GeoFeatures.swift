import Foundation
import PaperflowCore

/// The features of a GeoJSON FeatureCollection (RFC 7946): properties as text, polygons as rings
/// of lon/lat, points. A top-level `"attribution"` member (a foreign member, as RFC 7946 §6.1
/// allows) carries the credit a map must print.
struct GeoFeatures {
    struct Feature {
        var properties: [String: String]
        /// Polygons, each an exterior ring followed by its holes; empty for a point.
        var polygons: [[[(lon: Double, lat: Double)]]]
        var point: (lon: Double, lat: Double)?
    }

    var features: [Feature]
    var attribution: String

    /// Reads the file bound to `port`.
    /// - Throws: `StageFailure` naming the port, and the feature and what is wrong with it.
    init(_ context: StageContext, port: String) throws {
        let data = try context.input(port).data()
        let root: ParamValue
        do { root = try JSONReader.parse(data) } catch {
            throw StageFailure("input '\(port)' is not JSON: line \(error.line), column \(error.column): \(error.message)")
        }
        guard root.mapValue?["type"]?.stringValue == "FeatureCollection", let list = root.mapValue?["features"]?.listValue else {
            throw StageFailure("input '\(port)' is not a GeoJSON FeatureCollection (a \"type\": \"FeatureCollection\" with \"features\")")
        }
        attribution = root.mapValue?["attribution"]?.stringValue ?? ""
        features = try list.enumerated().map { index, value in
            do { return try Self.feature(value) } catch let failure as StageFailure {
                throw StageFailure("input '\(port)', feature \(index + 1): \(failure.message)")
            }
        }
    }

    static func feature(_ value: ParamValue) throws -> Feature {
        guard let map = value.mapValue, let geometry = map["geometry"]?.mapValue, let type = geometry["type"]?.stringValue else {
            throw StageFailure("not a Feature with a geometry")
        }
        var properties: [String: String] = [:]
        for (name, property) in map["properties"]?.mapValue ?? [:] {
            switch property {
            case let .string(text): properties[name] = text
            case .int, .double, .bool: properties[name] = property.description
            default: continue
            }
        }
        let coordinates = geometry["coordinates"] ?? .null
        switch type {
        case "Polygon": return Feature(properties: properties, polygons: [try polygon(coordinates)], point: nil)
        case "MultiPolygon":
            guard let parts = coordinates.listValue else { throw StageFailure("MultiPolygon coordinates are not a list") }
            return Feature(properties: properties, polygons: try parts.map(polygon), point: nil)
        case "Point": return Feature(properties: properties, polygons: [], point: try position(coordinates))
        default: throw StageFailure("geometry \(type) is not drawn (Polygon, MultiPolygon and Point are)")
        }
    }

    static func polygon(_ value: ParamValue) throws -> [[(lon: Double, lat: Double)]] {
        guard let rings = value.listValue, !rings.isEmpty else { throw StageFailure("a polygon without rings") }
        return try rings.map { ring in
            guard let positions = ring.listValue, positions.count >= 4 else { throw StageFailure("a ring with fewer than 4 positions") }
            return try positions.map(position)
        }
    }

    static func position(_ value: ParamValue) throws -> (lon: Double, lat: Double) {
        guard let pair = value.listValue, pair.count >= 2, let lon = pair[0].doubleValue, let lat = pair[1].doubleValue,
              (-180...180).contains(lon), (-90...90).contains(lat) else {
            throw StageFailure("a position that is not [longitude, latitude] in degrees: \(value)")
        }
        return (lon, lat)
    }

    /// The feature's key: its `names` properties joined, nil when one is missing.
    static func key(_ feature: Feature, _ names: [String]) -> String? {
        let parts = names.compactMap { feature.properties[$0] }
        return parts.count == names.count ? parts.joined(separator: " / ") : nil
    }
}

/// Albers' equal-area conic projection (Snyder 1987, *Map Projections — A Working Manual*,
/// eqs. 14-1 to 14-6, on the sphere), with the standard parallels at one sixth and five sixths of
/// the latitudes drawn and the central meridian at their middle — for mainland China about 24°N
/// and 48°N around 104°E, close to the 25°/47°/105° of the maps China's atlases use. Areas are
/// true, so a choropleth's colours are not weighted by the north's stretched provinces.
struct AlbersProjection {
    let n: Double, c: Double, rho0: Double, lambda0: Double

    init(longitudes: ClosedRange<Double>, latitudes: ClosedRange<Double>) {
        let span = latitudes.upperBound - latitudes.lowerBound
        let phi1 = (latitudes.lowerBound + span / 6) * .pi / 180, phi2 = (latitudes.upperBound - span / 6) * .pi / 180
        let phi0 = (latitudes.lowerBound + latitudes.upperBound) / 2 * .pi / 180
        n = abs(phi1 - phi2) < 1e-9 ? sin(phi1) : (sin(phi1) + sin(phi2)) / 2
        c = cos(phi1) * cos(phi1) + 2 * n * sin(phi1)
        rho0 = (c - 2 * n * sin(phi0)).squareRoot() / n
        lambda0 = (longitudes.lowerBound + longitudes.upperBound) / 2 * .pi / 180
    }

    /// Projected x (east) and y (north) on the unit sphere.
    func callAsFunction(_ lon: Double, _ lat: Double) -> (x: Double, y: Double) {
        let rho = max(c - 2 * n * sin(lat * .pi / 180), 0).squareRoot() / n
        let theta = n * (lon * .pi / 180 - lambda0)
        return (rho * sin(theta), rho0 - rho * cos(theta))
    }
}

/// The projection fitted into a pixel rectangle, aspect kept, centred.
struct MapViewport {
    let projection: AlbersProjection
    let scale: Double, offsetX: Double, offsetY: Double

    /// Fits every position in `positions` into the rectangle.
    init(positions: [(lon: Double, lat: Double)], left: Double, top: Double, right: Double, bottom: Double) {
        let lons = positions.map(\.lon), lats = positions.map(\.lat)
        let projection = AlbersProjection(longitudes: (lons.min() ?? 0)...(lons.max() ?? 1), latitudes: (lats.min() ?? 0)...(lats.max() ?? 1))
        self.projection = projection
        let projected = positions.map { projection($0.lon, $0.lat) }
        let x0 = projected.map(\.x).min() ?? 0, x1 = projected.map(\.x).max() ?? 1
        let y0 = projected.map(\.y).min() ?? 0, y1 = projected.map(\.y).max() ?? 1
        let scale = min((right - left) / max(x1 - x0, 1e-12), (bottom - top) / max(y1 - y0, 1e-12))
        self.scale = scale
        offsetX = (left + right) / 2 - scale * (x0 + x1) / 2
        offsetY = (top + bottom) / 2 + scale * (y0 + y1) / 2
    }

    /// The pixel position of a longitude and latitude.
    func callAsFunction(_ lon: Double, _ lat: Double) -> (Double, Double) {
        let p = projection(lon, lat)
        return (offsetX + scale * p.x, offsetY - scale * p.y)
    }

    /// An SVG path of polygons (each ring a closed subpath), for `fill-rule="evenodd"`.
    func path(_ polygons: [[[(lon: Double, lat: Double)]]]) -> String {
        polygons.flatMap { $0 }.map { ring in SVGDocument.path(ring.map { self($0.lon, $0.lat) }, closed: true) }.joined(separator: " ")
    }

    /// Where a polygon feature's label goes: the area-weighted centroid of its largest ring.
    func labelPoint(_ polygons: [[[(lon: Double, lat: Double)]]]) -> (Double, Double) {
        var best: (area: Double, x: Double, y: Double) = (-1, 0, 0)
        for polygon in polygons {
            let ring = polygon[0].map { self($0.lon, $0.lat) }
            var area = 0.0, cx = 0.0, cy = 0.0
            for (a, b) in zip(ring, ring.dropFirst() + [ring[0]]) {
                let cross = a.0 * b.1 - b.0 * a.1
                area += cross; cx += (a.0 + b.0) * cross; cy += (a.1 + b.1) * cross
            }
            if abs(area) > best.area, area != 0 { best = (abs(area), cx / (3 * area), cy / (3 * area)) }
        }
        return (best.x, best.y)
    }
}
