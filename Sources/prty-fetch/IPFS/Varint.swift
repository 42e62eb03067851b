/// Unsigned LEB128 varints as multiformats uses them (github.com/multiformats/unsigned-varint): at most
/// 9 bytes (63 bits) and minimally encoded, so one number has exactly one encoding. Protobuf (dag-pb,
/// UnixFS) uses the same wire form, with up to 10 bytes.
enum Varint {
    /// Appends the encoding of `value`.
    static func write(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }

    static func encode(_ value: UInt64) -> [UInt8] {
        var out = [UInt8]()
        write(value, to: &out)
        return out
    }

    /// The encoded length of `value`.
    static func size(_ value: UInt64) -> Int {
        var count = 1
        var value = value >> 7
        while value != 0 {
            count += 1
            value >>= 7
        }
        return count
    }

    /// Reads a varint at `offset`, advancing it. `maxBytes` is 9 for multiformats, 10 for protobuf.
    /// Multiformats requires the minimal encoding; protobuf accepts padded ones, so `strict` says which.
    static func read(
        _ bytes: UnsafeRawBufferPointer, at offset: inout Int, maxBytes: Int = 9,
        strict: Bool = true
    ) throws(FetchError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var index = offset
        while true {
            guard index < bytes.count else { throw .varint(.truncated) }
            guard index - offset < maxBytes else { throw .varint(.overlong) }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if strict && byte == 0 && index - offset > 1 { throw .varint(.notMinimal) }
                break
            }
            shift += 7
        }
        if maxBytes == 10 && index - offset == 10 && bytes[index - 1] > 1 { throw .varint(.overlong) }
        offset = index
        return value
    }

    /// `read` over an array.
    static func read(
        _ bytes: [UInt8], at offset: inout Int, maxBytes: Int = 9,
        strict: Bool = true
    ) throws(FetchError) -> UInt64 {
        var cursor = offset
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(FetchError) -> UInt64 in
                try read(buffer, at: &cursor, maxBytes: maxBytes, strict: strict)
            }
        }
        offset = cursor
        return try result.get()
    }
}
