/// A visible watermark naming a viewing session, drawn into a derivative's pixels (issue 18: the
/// `family-viewing` profile). It is drawn after the masks, so it never uncovers anything; it only darkens
/// two bands (top and bottom) and writes the text in white over them, and writes it once more, half
/// transparent, across the middle, so that cropping one band leaves the others.
///
/// The text is drawn with a built-in 5×7 pixel font (upper-case Latin letters, digits and `-_.:/#()+,`;
/// lower case is drawn as upper case), scaled with the image, so that no font file is read in the sandbox.
public enum Watermark {
    /// The longest session label drawn (characters).
    public static let maximumLength = 48

    /// Why `label` cannot name a session on a watermark, or nil when it can: 1 to 48 characters, each a
    /// Latin letter, a digit, a space or one of `-_.:/#()+,`.
    public static func problem(_ label: String) -> String? {
        if label.allSatisfy({ $0 == " " }) { return "is empty" }
        if label.count > maximumLength { return "is longer than \(maximumLength) characters" }
        if let bad = label.first(where: { glyph(for: $0) == nil }) {
            return "holds \"\(bad)\"; a session label on a watermark uses Latin letters, digits, spaces and -_.:/#()+, only"
        }
        return nil
    }

    /// The text drawn for session `label`.
    public static func text(session label: String) -> String { "VIEWING SESSION " + label.uppercased() }

    /// How the text for `label` is laid out on a `width` × `height` image: the font's scale (pixels per font
    /// pixel: a 160th of the shorter side, at least 1, smaller when that keeps the text on one line) and the
    /// lines, broken at spaces (inside a word only when the word alone is too long), so that the whole text is
    /// always drawn, whatever the image's shape.
    static func layout(_ label: String, width: Int, height: Int) -> (scale: Int, lines: [[Character]]) {
        let text = Array(Self.text(session: label))
        var scale = max(1, min(width, height) / 160)
        while scale > 1 && (text.count * 6 + 4) * scale > width { scale -= 1 }
        let perLine = max(1, (width - 4 * scale) / (6 * scale))
        var lines: [[Character]] = []
        var line: [Character] = []
        for word in text.split(separator: " ").map(Array.init) {
            var rest = word
            while !rest.isEmpty {
                let room = line.isEmpty ? perLine : perLine - line.count - 1
                if rest.count <= room {
                    line += (line.isEmpty ? [] : [" "]) + rest
                    rest = []
                } else if line.isEmpty {
                    line = Array(rest.prefix(perLine)); rest = Array(rest.dropFirst(perLine))
                    lines.append(line); line = []
                } else {
                    lines.append(line); line = []
                }
            }
        }
        if !line.isEmpty { lines.append(line) }
        return (scale, lines)
    }

    /// Draws the watermark for `label` over `pixels` (`width` × `height` RGB, 3 bytes per pixel, rows top to
    /// bottom). Deterministic: the same pixels and label give the same result.
    static func draw(_ label: String, on pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int) {
        let (scale, lines) = layout(label, width: width, height: height)
        let band = (2 + 9 * lines.count) * scale
        let cell = 6 * scale
        // One line repeats along the band after a gap of three cells; several lines are drawn once.
        let run = lines.count == 1 ? (lines[0].count + 3) * cell : Int.max
        func text(top: Int, opacity: Int, firstX: Int) {
            for (index, line) in lines.enumerated() {
                var x = firstX
                repeat {
                    write(line, at: x, top + index * 9 * scale, scale: scale, opacity: opacity, pixels, width, height)
                    if run > width - x { break }
                    x += run
                } while x < width
            }
        }
        func bandAt(_ top: Int) {
            guard top >= 0, top + band <= height else { return }
            for y in top..<(top + band) {
                var p = pixels + y * width * 3
                for _ in 0..<(width * 3) { p.pointee = p.pointee / 4; p += 1 }
            }
            text(top: top + 2 * scale, opacity: 255, firstX: 2 * scale)
        }
        bandAt(0)
        if height >= 2 * band { bandAt(height - band) }
        if height >= 4 * band {
            let first = run <= width ? (width % run) / 2 : 2 * scale
            text(top: (height - 9 * scale * lines.count + 2 * scale) / 2, opacity: 128, firstX: first)
        }
    }

    /// Writes `text` with its top-left corner at (`x`, `y`), each font pixel a `scale` × `scale` square
    /// blended towards white by `opacity` (0–255); what falls outside the image is not drawn.
    private static func write(_ text: [Character], at x: Int, _ y: Int, scale: Int, opacity: Int,
                              _ pixels: UnsafeMutablePointer<UInt8>, _ width: Int, _ height: Int) {
        for (index, character) in text.enumerated() {
            guard let rows = glyph(for: character) else { continue }
            let left = x + index * 6 * scale
            if left >= width { return }
            for (row, bits) in rows.enumerated() {
                for column in 0..<5 where bits & (0b10000 >> column) != 0 {
                    for dy in 0..<scale {
                        let py = y + row * scale + dy
                        guard py >= 0, py < height else { continue }
                        for dx in 0..<scale {
                            let px = left + column * scale + dx
                            guard px >= 0, px < width else { continue }
                            let p = pixels + (py * width + px) * 3
                            for channel in 0..<3 {
                                let value = Int(p[channel])
                                p[channel] = UInt8(value + (255 - value) * opacity / 255)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The 7 rows (5 bits each, the leftmost column the highest bit) of `character`'s glyph; nil for a
    /// character the font does not draw.
    static func glyph(for character: Character) -> [UInt8]? {
        guard character.isASCII, let upper = character.uppercased().first else { return nil }
        return font[upper]
    }

    /// The font, parsed once from `glyphs`.
    private static let font: [Character: [UInt8]] = {
        var out: [Character: [UInt8]] = [:]
        var lines = glyphs.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)[...]
        while let header = lines.popFirst() {
            let character = header.dropFirst().first ?? " "   // "[A]"
            var rows: [UInt8] = []
            for _ in 0..<7 {
                guard let line = lines.popFirst() else { break }
                rows.append(line.reduce(UInt8(0)) { $0 << 1 | ($1 == "#" ? 1 : 0) })
            }
            out[character] = rows
        }
        return out
    }()

    /// Each glyph: a line `[c]`, then seven rows of five `#` (ink) or `.` (none).
    private static let glyphs = """
    [A]
    .###.
    #...#
    #...#
    #####
    #...#
    #...#
    #...#
    [B]
    ####.
    #...#
    #...#
    ####.
    #...#
    #...#
    ####.
    [C]
    .###.
    #...#
    #....
    #....
    #....
    #...#
    .###.
    [D]
    ####.
    #...#
    #...#
    #...#
    #...#
    #...#
    ####.
    [E]
    #####
    #....
    #....
    ####.
    #....
    #....
    #####
    [F]
    #####
    #....
    #....
    ####.
    #....
    #....
    #....
    [G]
    .###.
    #...#
    #....
    #.###
    #...#
    #...#
    .####
    [H]
    #...#
    #...#
    #...#
    #####
    #...#
    #...#
    #...#
    [I]
    .###.
    ..#..
    ..#..
    ..#..
    ..#..
    ..#..
    .###.
    [J]
    ..###
    ...#.
    ...#.
    ...#.
    ...#.
    #..#.
    .##..
    [K]
    #...#
    #..#.
    #.#..
    ##...
    #.#..
    #..#.
    #...#
    [L]
    #....
    #....
    #....
    #....
    #....
    #....
    #####
    [M]
    #...#
    ##.##
    #.#.#
    #.#.#
    #...#
    #...#
    #...#
    [N]
    #...#
    #...#
    ##..#
    #.#.#
    #..##
    #...#
    #...#
    [O]
    .###.
    #...#
    #...#
    #...#
    #...#
    #...#
    .###.
    [P]
    ####.
    #...#
    #...#
    ####.
    #....
    #....
    #....
    [Q]
    .###.
    #...#
    #...#
    #...#
    #.#.#
    #..#.
    .##.#
    [R]
    ####.
    #...#
    #...#
    ####.
    #.#..
    #..#.
    #...#
    [S]
    .####
    #....
    #....
    .###.
    ....#
    ....#
    ####.
    [T]
    #####
    ..#..
    ..#..
    ..#..
    ..#..
    ..#..
    ..#..
    [U]
    #...#
    #...#
    #...#
    #...#
    #...#
    #...#
    .###.
    [V]
    #...#
    #...#
    #...#
    #...#
    #...#
    .#.#.
    ..#..
    [W]
    #...#
    #...#
    #...#
    #.#.#
    #.#.#
    #.#.#
    .#.#.
    [X]
    #...#
    #...#
    .#.#.
    ..#..
    .#.#.
    #...#
    #...#
    [Y]
    #...#
    #...#
    .#.#.
    ..#..
    ..#..
    ..#..
    ..#..
    [Z]
    #####
    ....#
    ...#.
    ..#..
    .#...
    #....
    #####
    [0]
    .###.
    #...#
    #..##
    #.#.#
    ##..#
    #...#
    .###.
    [1]
    ..#..
    .##..
    ..#..
    ..#..
    ..#..
    ..#..
    .###.
    [2]
    .###.
    #...#
    ....#
    ...#.
    ..#..
    .#...
    #####
    [3]
    #####
    ...#.
    ..#..
    ...#.
    ....#
    #...#
    .###.
    [4]
    ...#.
    ..##.
    .#.#.
    #..#.
    #####
    ...#.
    ...#.
    [5]
    #####
    #....
    ####.
    ....#
    ....#
    #...#
    .###.
    [6]
    ..##.
    .#...
    #....
    ####.
    #...#
    #...#
    .###.
    [7]
    #####
    ....#
    ...#.
    ..#..
    .#...
    .#...
    .#...
    [8]
    .###.
    #...#
    #...#
    .###.
    #...#
    #...#
    .###.
    [9]
    .###.
    #...#
    #...#
    .####
    ....#
    ...#.
    .##..
    [ ]
    .....
    .....
    .....
    .....
    .....
    .....
    .....
    [-]
    .....
    .....
    .....
    #####
    .....
    .....
    .....
    [_]
    .....
    .....
    .....
    .....
    .....
    .....
    #####
    [.]
    .....
    .....
    .....
    .....
    .....
    .##..
    .##..
    [:]
    .....
    .##..
    .##..
    .....
    .##..
    .##..
    .....
    [/]
    ....#
    ....#
    ...#.
    ..#..
    .#...
    #....
    #....
    [#]
    .#.#.
    .#.#.
    #####
    .#.#.
    #####
    .#.#.
    .#.#.
    [(]
    ...#.
    ..#..
    .#...
    .#...
    .#...
    ..#..
    ...#.
    [)]
    .#...
    ..#..
    ...#.
    ...#.
    ...#.
    ..#..
    .#...
    [+]
    .....
    ..#..
    ..#..
    #####
    ..#..
    ..#..
    .....
    [,]
    .....
    .....
    .....
    .....
    .##..
    ..#..
    .#...
    """
}
