/// Printing of the figures.
enum Report {
    struct Row {
        var name: String
        var seconds: Double
        var peakKiB: Int
        var afterUnlockKiB: Int?
        var isAmanah: Bool
        var isAge: Bool
    }

    /// Rows for a data set: each contender's median, plus Amanah's and restic's time net of their fixed cost
    /// (median of the per-round differences, since rounds pair them).
    static func rows(_ results: [ContenderResult]) -> [Row] {
        var rows: [Row] = []
        func result(_ prefix: String) -> ContenderResult? { results.first { $0.name.hasPrefix(prefix) } }
        for r in results {
            rows.append(Row(name: r.name, seconds: Statistics.median(r.seconds), peakKiB: r.peaksKiB.max() ?? 0,
                            afterUnlockKiB: r.afterUnlockKiB.max(), isAmanah: r.isAmanah, isAge: r.isAge))
        }
        for (main, fixed, label) in [("amanah ingest", "amanah fixed", "amanah ingest, net of fixed cost"),
                                     ("amanah, no image header ingest", "amanah fixed", "amanah, no image header ingest, net of fixed cost"),
                                     ("baseline amanah ingest", "baseline amanah fixed", "baseline amanah ingest, net of fixed cost"),
                                     ("restic backup", "restic fixed", "restic backup, net of fixed cost")] {
            guard let m = results.first(where: { $0.name == main }), let f = result(fixed) else { continue }
            let differences = zip(m.seconds, f.seconds).map { $0 - $1 }
            rows.append(Row(name: label, seconds: Statistics.median(differences), peakKiB: m.peaksKiB.max() ?? 0,
                            afterUnlockKiB: m.afterUnlockKiB.max(), isAmanah: m.isAmanah, isAge: false))
        }
        return rows
    }

    static func dataSet(title: String, data: DataSet, results: [ContenderResult]) {
        let rows = rows(results)
        let bytes = Double(data.totalBytes)
        let count = Double(data.files.count)
        let amanahWall = rows.first { $0.name == "amanah ingest" }
        let amanahNet = rows.first { $0.name == "amanah ingest, net of fixed cost" }
        let coreNet = rows.first { $0.name == "amanah, no image header ingest, net of fixed cost" }
        var table = Table(["contender", "median s", "MB/s", "files/s", "peak RSS MiB",
                           "Amanah ÷ it, net", "Amanah ÷ it, wall", "no-metadata Amanah ÷ it, net"])
        for row in rows {
            let isFixed = row.name.contains("fixed cost (")
            let rate = isFixed ? "" : format(bytes / row.seconds / 1e6, 0)
            let files = isFixed ? "" : format(count / row.seconds, 0)
            var peak = format(Double(row.peakKiB) / 1024, 0)
            if let after = row.afterUnlockKiB { peak += " (after unlock \(format(Double(after) / 1024, 1)))" }
            var ratios = ["", "", ""]
            if !row.isAmanah && !isFixed {
                if let net = amanahNet { ratios[0] = format(row.seconds / net.seconds, 2) + "×" }
                if let wall = amanahWall { ratios[1] = format(row.seconds / wall.seconds, 2) + "×" }
                if let core = coreNet { ratios[2] = format(row.seconds / core.seconds, 2) + "×" }
            }
            table.add([row.name, format(row.seconds, 3), rate, files, peak] + ratios)
        }
        print("## \(title) (\(format(bytes / 1e6, 0)) MB)")
        print("")
        print(table.render())
        print("")
    }

    static func targets(big: (DataSet, [ContenderResult]), small: (DataSet, [ContenderResult])) {
        print("## Targets")
        print("")
        let bigRows = rows(big.1), smallRows = rows(small.1)
        for (label, name) in [("JPEG-like, metadata sandbox per file", "amanah ingest, net of fixed cost"),
                              ("no image header, no metadata sandbox", "amanah, no image header ingest, net of fixed cost")] {
            if let net = bigRows.first(where: { $0.name == name }), let fastest = bigRows.filter(\.isAge).min(by: { $0.seconds < $1.seconds }) {
                let amanahRate = Double(big.0.totalBytes) / net.seconds / 1e6
                let ageRate = Double(big.0.totalBytes) / fastest.seconds / 1e6
                let ratio = amanahRate / ageRate
                print("- big files (\(label)): Amanah \(format(amanahRate, 0)) MB/s net of the unlock vs the faster age "
                      + "(\(fastest.name)) \(format(ageRate, 0)) MB/s: \(format(ratio, 2))× (target ≥ 1.0×): " + verdict(ratio >= 1.0, missedBy: 1 - ratio))
            }
            if let net = smallRows.first(where: { $0.name == name }) {
                let rate = Double(small.0.files.count) / net.seconds
                print("- small files (\(label)): Amanah \(format(rate, 0)) files/s net of the unlock (target ≥ 300): "
                      + verdict(rate >= 300, missedBy: 1 - rate / 300))
            }
        }
        let amanahRows = (bigRows + smallRows).filter(\.isAmanah)
        if let afterUnlock = amanahRows.compactMap(\.afterUnlockKiB).max() {
            let baseline = (bigRows + smallRows).first { $0.name.hasPrefix("amanah fixed") }?.afterUnlockKiB
            let mib = Double(afterUnlock) / 1024
            var line = "- memory: Amanah's peak resident set after the key unlock \(format(mib, 1)) MiB for the whole process"
            if let baseline {
                let growth = Double(afterUnlock - baseline) / 1024
                line += ", \(format(growth, 1)) MiB above a 1-byte ingest (\(format(Double(baseline) / 1024, 1)) MiB: program, libraries, database)"
                line += " (target < 64 MiB beyond the unlock): " + verdict(growth < 64, missedBy: growth / 64 - 1)
            }
            print(line)
        } else {
            print("- memory: this amanah binary does not report its peak after the unlock (AMANAH_REPORT_PEAK_RSS)")
        }
        print("")
    }

    static func verdict(_ met: Bool, missedBy fraction: Double) -> String {
        met ? "met" : "MISSED by \(format(fraction * 100, 0))%"
    }
}
