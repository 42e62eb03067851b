import Shared

/// Writes the model documents (update, aggregate) as one line of JSON with sorted keys, the bulk tensors
/// straight from their `Double`s into the output buffer (`NumberFormat.write`, no `String` or `JSON` value
/// per number): a forest's `trees` holds millions of numbers. The text is exactly what `JSON.serialized()`
/// would give for the same document.
enum DocumentWriter {
    enum Member {
        case json(JSON)
        case tensors([String: [Double]])
    }

    static func bytes(_ members: [String: Member]) -> [UInt8] {
        var out = [UInt8]()
        let numbers = members.values.reduce(0) { total, member in
            if case .tensors(let map) = member { return total + map.values.reduce(0) { $0 + $1.count } }
            return total
        }
        out.reserveCapacity(numbers * 20 + 4096)
        out.append(UInt8(ascii: "{"))
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSON.writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch members[key]! {
            case .json(let value): value.write(to: &out)
            case .tensors(let map): writeTensors(map, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
        return out
    }

    static func writeTensors(_ map: [String: [Double]], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, name) in map.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSON.writeString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            writeNumbers(map[name]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `[n,n,…]`: grows the buffer by the most the numbers can take, writes in place, trims the rest.
    static func writeNumbers(_ values: [Double], to out: inout [UInt8]) {
        let start = out.count
        let room = values.count * (NumberFormat.maxLength + 1) + 2
        out.append(contentsOf: repeatElement(0, count: room))
        let used = out.withUnsafeMutableBufferPointer { buffer in
            values.withUnsafeBufferPointer { values in
                var cursor = buffer.baseAddress! + start
                cursor.pointee = UInt8(ascii: "[")
                cursor += 1
                for (index, value) in values.enumerated() {
                    if index > 0 {
                        cursor.pointee = UInt8(ascii: ",")
                        cursor += 1
                    }
                    if value.isFinite {
                        cursor += NumberFormat.write(value, to: cursor)
                    } else {  // never reached: documents are checked for finite numbers first
                        for byte in "null".utf8 {
                            cursor.pointee = byte
                            cursor += 1
                        }
                    }
                }
                cursor.pointee = UInt8(ascii: "]")
                cursor += 1
                return cursor - (buffer.baseAddress! + start)
            }
        }
        out.removeLast(room - used)
    }
}
