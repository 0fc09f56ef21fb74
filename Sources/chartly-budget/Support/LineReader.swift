import Foundation

/// Reads a file line by line in large chunks, reporting how many bytes were consumed (for progress).
struct LineReader {
    private let handle: FileHandle
    private var buffer = Data()
    private var finished = false
    private(set) var bytesRead: Int = 0
    let totalBytes: Int

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ValidationError("cannot open \(path)")
        }
        self.handle = handle
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        totalBytes = (attributes?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// The next line without its newline, or nil at the end of the file.
    mutating func next() throws -> Substring? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                bytesRead += line.count + 1
                return Substring(decoding: line, as: UTF8.self)
            }
            if finished {
                guard !buffer.isEmpty else { return nil }
                let line = buffer
                buffer.removeAll()
                bytesRead += line.count
                return Substring(decoding: line, as: UTF8.self)
            }
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { finished = true } else { buffer.append(chunk) }
        }
    }
}

import ArgumentParser
