import Foundation

/// The contents of `postmaster.pid`: which process owns the cluster and its shared memory segment.
struct PostmasterPIDFile: Sendable {
    var processID: pid_t
    var sharedMemoryID: Int32?

    static func path(in dataDirectory: String) -> String {
        dataDirectory + "/postmaster.pid"
    }

    static func read(dataDirectory: String) -> PostmasterPIDFile? {
        guard let text = FileSystem.readText(path(in: dataDirectory)) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, let processID = pid_t(first.trimmingCharacters(in: .whitespaces)) else {
            return nil
        }
        // Line 7 is "<shared memory key> <shared memory id>".
        let memory = lines.count > 6 ? lines[6].split(separator: " ") : []
        return PostmasterPIDFile(processID: processID, sharedMemoryID: memory.count == 2 ? Int32(memory[1]) : nil)
    }
}
