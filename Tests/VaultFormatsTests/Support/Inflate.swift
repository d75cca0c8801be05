/// A small zlib (RFC 1950) / DEFLATE (RFC 1951) decoder for the test kit's `compressed: zlib` vectors.
/// Test-only: zlib is not a product dependency, and Foundation on Linux has no decompression API.
/// Canonical Huffman codes are decoded one bit at a time (slow but simple and bounded).
enum Inflate {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Decompresses a zlib stream and checks its Adler-32 trailer. `limit` bounds the output size.
    static func zlib(_ data: [UInt8], limit: Int = 64 << 20) throws -> [UInt8] {
        guard data.count >= 6 else { throw Failure("zlib stream too short") }
        let cmf = data[0], flg = data[1]
        guard cmf & 0x0f == 8, cmf >> 4 <= 7 else { throw Failure("not DEFLATE") }
        guard (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else { throw Failure("bad zlib header check") }
        guard flg & 0x20 == 0 else { throw Failure("preset dictionary not supported") }
        var state = BitReader(data: data, position: 2)
        let out = try inflate(&state, limit: limit)
        let trailer = state.position
        guard trailer + 4 <= data.count else { throw Failure("missing Adler-32 trailer") }
        let expected = data[trailer..<(trailer + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard adler32(out) == expected else { throw Failure("Adler-32 mismatch") }
        return out
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count {
                // 5552 bytes is the most that can be summed before the 32-bit sums could overflow.
                let end = Swift.min(buffer.count, index + 5552)
                while index < end {
                    a &+= UInt32(buffer[index])
                    b &+= a
                    index += 1
                }
                a %= 65521
                b %= 65521
            }
        }
        return b << 16 | a
    }

    /// Least-significant-bit-first reader, pulling one byte at a time, so at most 7 bits are ever held.
    struct BitReader {
        let data: [UInt8]
        var position: Int
        var held: UInt32 = 0
        var heldCount = 0

        mutating func bits(_ count: Int) throws -> Int {
            while heldCount < count {
                guard position < data.count else { throw Failure("unexpected end of DEFLATE data") }
                held |= UInt32(data[position]) << UInt32(heldCount)
                position += 1
                heldCount += 8
            }
            let value = Int(held & ((1 << UInt32(count)) - 1))
            held >>= UInt32(count)
            heldCount -= count
            return value
        }

        mutating func alignToByte() {
            held = 0
            heldCount = 0
        }
    }

    /// A canonical Huffman code: how many codes of each length 1...15, and the symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws {
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<16 { offsets[length] = offsets[length - 1] + counts[length - 1] }
            symbols = [Int](repeating: 0, count: lengths.count)
            var next = offsets
            for (symbol, length) in lengths.enumerated() where length > 0 {
                symbols[next[length] - offsets[1]] = symbol
                next[length] += 1
            }
        }

        /// Reads one symbol: walks the code lengths, comparing the code so far with the first code of
        /// each length.
        func decode(_ reader: inout BitReader) throws -> Int {
            var code = 0, first = 0, index = 0
            for length in 1..<16 {
                code |= try reader.bits(1)
                let count = counts[length]
                if code - first < count { return symbols[index + code - first] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw Failure("invalid Huffman code")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                             131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
                                13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    /// The decompressed bytes, in a buffer that grows by doubling; back references are copied with
    /// `memmove`-style block copies (the byte-at-a-time loop is far too slow in debug builds).
    final class Output {
        private(set) var storage: UnsafeMutablePointer<UInt8>
        private var capacity: Int
        private(set) var count = 0
        let limit: Int

        init(limit: Int) {
            self.limit = limit
            capacity = 1 << 16
            storage = .allocate(capacity: capacity)
        }

        deinit { storage.deallocate() }

        private func reserve(_ extra: Int) throws {
            guard count + extra <= limit else { throw Failure("output over limit") }
            guard count + extra > capacity else { return }
            var newCapacity = capacity
            while newCapacity < count + extra { newCapacity *= 2 }
            let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newStorage.update(from: storage, count: count)
            storage.deallocate()
            storage = newStorage
            capacity = newCapacity
        }

        func append(_ byte: UInt8) throws {
            try reserve(1)
            storage[count] = byte
            count += 1
        }

        func append(contentsOf bytes: ArraySlice<UInt8>) throws {
            try reserve(bytes.count)
            bytes.withUnsafeBufferPointer { (storage + count).update(from: $0.baseAddress!, count: $0.count) }
            count += bytes.count
        }

        /// Copies `length` bytes starting `distance` bytes back. When they overlap, the copy repeats the
        /// last `distance` bytes: the first `distance` bytes are copied, then the copied run is doubled.
        func copyBack(distance: Int, length: Int) throws {
            guard distance >= 1, distance <= count else { throw Failure("bad back reference") }
            try reserve(length)
            let destination = storage + count
            let first = Swift.min(length, distance)
            destination.update(from: destination - distance, count: first)
            var copied = first
            while copied < length {
                let piece = Swift.min(length - copied, copied)
                (destination + copied).update(from: destination, count: piece)
                copied += piece
            }
            count += length
        }

        var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }
    }

    static func inflate(_ reader: inout BitReader, limit: Int) throws -> [UInt8] {
        let out = Output(limit: limit)
        var final = 0
        repeat {
            final = try reader.bits(1)
            switch try reader.bits(2) {
            case 0:
                reader.alignToByte()
                guard reader.position + 4 <= reader.data.count else { throw Failure("truncated stored block") }
                let d = reader.data, p = reader.position
                let length = Int(d[p]) | Int(d[p + 1]) << 8
                let complement = Int(d[p + 2]) | Int(d[p + 3]) << 8
                guard length ^ 0xffff == complement else { throw Failure("stored block length check failed") }
                guard p + 4 + length <= d.count else { throw Failure("bad stored block") }
                try out.append(contentsOf: d[(p + 4)..<(p + 4 + length)])
                reader.position = p + 4 + length
            case 1:
                var lengths = [Int](repeating: 8, count: 288)
                for symbol in 144..<256 { lengths[symbol] = 9 }
                for symbol in 256..<280 { lengths[symbol] = 7 }
                try inflateBlock(&reader, into: out, literals: Huffman(lengths: lengths),
                                 distances: Huffman(lengths: [Int](repeating: 5, count: 30)))
            case 2:
                let literalCount = try reader.bits(5) + 257
                let distanceCount = try reader.bits(5) + 1
                let codeLengthCount = try reader.bits(4) + 4
                var codeLengthLengths = [Int](repeating: 0, count: 19)
                for index in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[index]] = try reader.bits(3) }
                let codeLengthCode = try Huffman(lengths: codeLengthLengths)
                var lengths: [Int] = []
                while lengths.count < literalCount + distanceCount {
                    let symbol = try codeLengthCode.decode(&reader)
                    switch symbol {
                    case 0..<16: lengths.append(symbol)
                    case 16:
                        guard let previous = lengths.last else { throw Failure("repeat with no previous length") }
                        lengths.append(contentsOf: repeatElement(previous, count: 3 + (try reader.bits(2))))
                    case 17: lengths.append(contentsOf: repeatElement(0, count: 3 + (try reader.bits(3))))
                    default: lengths.append(contentsOf: repeatElement(0, count: 11 + (try reader.bits(7))))
                    }
                }
                guard lengths.count == literalCount + distanceCount else { throw Failure("code lengths overflow") }
                try inflateBlock(&reader, into: out, literals: Huffman(lengths: Array(lengths[0..<literalCount])),
                                 distances: Huffman(lengths: Array(lengths[literalCount...])))
            default:
                throw Failure("reserved block type")
            }
        } while final == 0
        reader.alignToByte()
        return out.bytes
    }

    static func inflateBlock(_ reader: inout BitReader, into out: Output, literals: Huffman, distances: Huffman) throws {
        while true {
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                try out.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < lengthBase.count else { throw Failure("bad length symbol") }
            let length = lengthBase[lengthIndex] + (try reader.bits(lengthExtra[lengthIndex]))
            let distanceSymbol = try distances.decode(&reader)
            guard distanceSymbol < distanceBase.count else { throw Failure("bad distance symbol") }
            let distance = distanceBase[distanceSymbol] + (try reader.bits(distanceExtra[distanceSymbol]))
            try out.copyBack(distance: distance, length: length)
        }
    }
}
