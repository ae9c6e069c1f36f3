#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Conley's (1999) spatial HAC covariance: the scores of observations closer than a cutoff are
/// allowed to correlate, weighted by a kernel of their great-circle distance — uniform (1 within
/// the cutoff: Conley's and Stata's acreg default) or Bartlett (1 − d/cutoff) — and, in a panel,
/// the scores of one unit are allowed to correlate over up to `lag` periods with Bartlett weights
/// 1 − l/(lag + 1) (Hsiang 2010; R's conleyreg and Stata's acreg with a time lag). In a panel
/// the spatial term pairs observations of the same period only.
///
/// Distances are haversine great-circle distances on a sphere of radius 6371.01 km (conleyreg's),
/// from latitude and longitude in degrees. No small-sample factor is applied (Conley's, acreg's,
/// conleyreg's). Pairs are found in a grid of cells the cutoff's size (in longitude at the data's
/// highest latitude), each point against its own cell and the neighbouring ones, so the cost is
/// about the number of pairs within the cutoff, not N²; a pair across the antimeridian (±180°)
/// is not seen.
public enum SpatialCovariance {
    public enum Kernel: String, Sendable, CaseIterable {
        case uniform
        case bartlett
    }

    public static let earthRadius = 6371.01

    /// The haversine distance in km between two points given in degrees.
    public static func distance(_ latitude1: Double, _ longitude1: Double, _ latitude2: Double, _ longitude2: Double) -> Double {
        let radians = Double.pi / 180
        let dLatitude = (latitude2 - latitude1) * radians, dLongitude = (longitude2 - longitude1) * radians
        let a = sin(dLatitude / 2) * sin(dLatitude / 2) + cos(latitude1 * radians) * cos(latitude2 * radians) * sin(dLongitude / 2) * sin(dLongitude / 2)
        return 2 * earthRadius * asin(min(1, a.squareRoot()))
    }

    /// Σ_i Σ_j w_ij s_i s_j' with s_i = scores[i]·x_i (the `columns` at row i): w the spatial
    /// kernel for pairs of the same period (every pair without `periods`), the Bartlett lag weight
    /// for a unit's pairs `lag` periods apart or less (with `units` and `periods`), 1 on the
    /// diagonal. `periods` give each row's period as a whole number (a year).
    public static func meat(columns: [[Double]], scores: [Double], latitude: [Double], longitude: [Double], cutoff: Double, kernel: Kernel,
                            periods: [Int]? = nil, units: [Int]? = nil, lag: Int = 0) -> Matrix {
        let n = scores.count, k = columns.count
        var s = [Double](repeating: 0, count: n * k)
        for (c, values) in columns.enumerated() { for i in 0..<n { s[i * k + c] = values[i] * scores[i] } }
        // The pairs: points in cells of the cutoff's size in latitude and (at the data's highest
        // latitude) in longitude, by period; each pair once, from a point to the later points of
        // its cell and to the points of the four cells ahead of it.
        let band = cutoff / (earthRadius * Double.pi / 180)
        // The widest longitude gap of two points within the cutoff, at the highest latitude
        // reached: 2 asin(sin(d/2R) / cos φ) (a parallel is longer than the great circle).
        let highest = min(90, (latitude.lazy.map(abs).max() ?? 0) + band)
        let reach = sin(cutoff / (2 * earthRadius)) / max(cos(highest * Double.pi / 180), 0)
        let width = reach >= 1 || !reach.isFinite ? 360 : max(2 * asin(reach) * 180 / Double.pi, band)
        struct Cell: Hashable, Comparable {
            var period: Int, row: Int, column: Int
            static func < (a: Cell, b: Cell) -> Bool { (a.period, a.row, a.column) < (b.period, b.row, b.column) }
        }
        var members: [Cell: [Int]] = [:]
        for i in 0..<n {
            let cell = Cell(period: periods?[i] ?? 0, row: Int((latitude[i] / band).rounded(.down)), column: Int((longitude[i] / width).rounded(.down)))
            members[cell, default: []].append(i)
        }
        let cells = members.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: cells.enumerated().map { ($1, $0) })
        var flat: [Int] = [], starts: [Int] = [0]
        for cell in cells {
            flat += members[cell]!
            starts.append(flat.count)
        }
        var cellOf = [Int](repeating: 0, count: flat.count)
        for c in cells.indices { for position in starts[c]..<starts[c + 1] { cellOf[position] = c } }
        let ahead: [[Int]] = cells.map { cell in
            [(0, 1), (1, -1), (1, 0), (1, 1)].compactMap { step in
                index[Cell(period: cell.period, row: cell.row + step.0, column: cell.column + step.1)]
            }
        }
        var meat = Matrix(rows: k, columns: k)
        meat.values = RowSlices.sum(flat.count, width: k * k) { positions, result in
            for position in positions {
                let i = flat[position], c = cellOf[position]
                addOuter(result, s, i, i, k, 1)
                func pair(_ j: Int) {
                    guard abs(latitude[j] - latitude[i]) <= band else { return }
                    let d = distance(latitude[i], longitude[i], latitude[j], longitude[j])
                    guard d <= cutoff else { return }
                    let w = kernel == .uniform ? 1 : 1 - d / cutoff
                    if w > 0 {
                        addOuter(result, s, i, j, k, w)
                        addOuter(result, s, j, i, k, w)
                    }
                }
                for later in (position + 1)..<starts[c + 1] { pair(flat[later]) }
                for other in ahead[c] { for candidate in starts[other]..<starts[other + 1] { pair(flat[candidate]) } }
            }
        }
        // A unit's serial correlation across periods, Bartlett weights.
        if let units, let periods, lag > 0 {
            var byUnit: [Int: [Int]] = [:]
            for i in 0..<n { byUnit[units[i], default: []].append(i) }
            for rows in byUnit.values {
                let sorted = rows.sorted { periods[$0] < periods[$1] }
                for (a, i) in sorted.enumerated() {
                    for j in sorted[(a + 1)...] {
                        let distance = periods[j] - periods[i]
                        if distance > lag { break }
                        guard distance > 0 else { continue }
                        let w = 1 - Double(distance) / Double(lag + 1)
                        meat.values.withUnsafeMutableBufferPointer { m in
                            addOuter(m, s, i, j, k, w)
                            addOuter(m, s, j, i, k, w)
                        }
                    }
                }
            }
        }
        return meat
    }

    @inline(__always)
    static func addOuter(_ result: UnsafeMutableBufferPointer<Double>, _ s: [Double], _ i: Int, _ j: Int, _ k: Int, _ w: Double) {
        for a in 0..<k {
            let left = w * s[i * k + a]
            for b in 0..<k { result[a * k + b] += left * s[j * k + b] }
        }
    }
}
