import Foundation
import Shared

/// Everything the node owes the server (Results, model updates, LLM completions) is written here, durably,
/// before it is sent, and removed only after the server answered 2xx (docs/runner.md):
///
/// - an entry is one file `outbox/<seq>-<task id>-<kind>.json`, written with `DurableFile` (write, fsync,
///   rename, fsync the directory); a task id and kind already present is not written again;
/// - entries are sent in `seq` order; a temporary failure (no answer, 408, 429, 5xx) stops the pass and is
///   retried later with back-off and jitter; a permanent one (another 4xx) moves the entry to `dead/` with the
///   reason; best-effort calls (`/complete` after an LLM completion, the `/fail` the server lacks) are dropped
///   on any answer but 2xx; an entry still failing after `maxAge` goes to `dead/` too.
///
/// After a crash the node finds the files and delivers them; the server sees each at most once, except when the
/// node dies between the server's 2xx and the unlink (the server's result endpoint is an upsert).
actor Outbox {
    enum Kind: String, Sendable, CaseIterable {
        case result
        case modelUpdate = "model-update"
        case llmComplete = "llm-complete"
        case taskComplete = "task-complete"
        case llmFail = "llm-fail"
    }

    struct Entry: Sendable, Equatable {
        var seq: Int
        var taskID: String
        var kind: Kind
        /// Under the API base, e.g. `/runners/tasks/<id>/result`.
        var path: String
        var body: JSON
        var createdAt: Double
        /// Dropped, not dead-lettered, when the server answers anything but 2xx.
        var bestEffort: Bool

        var fileName: String { "\(String(format: "%016d", seq))-\(taskID)-\(kind.rawValue).json" }

        var document: JSON {
            [
                "seq": .int(seq), "task_id": .string(taskID), "kind": .string(kind.rawValue), "path": .string(path),
                "body": body, "created_at": .double(createdAt), "best_effort": .bool(bestEffort),
            ]
        }

        init(taskID: String, kind: Kind, path: String, body: JSON, bestEffort: Bool = false) {
            self.seq = 0
            self.taskID = taskID
            self.kind = kind
            self.path = path
            self.body = body
            self.createdAt = Date().timeIntervalSince1970
            self.bestEffort = bestEffort
        }

        init?(document: JSON) {
            guard let seq = document["seq"]?.intValue, let taskID = document["task_id"]?.stringValue,
                let kind = document["kind"]?.stringValue.flatMap(Kind.init(rawValue:)),
                let path = document["path"]?.stringValue, let body = document["body"]
            else { return nil }
            self.seq = seq
            self.taskID = taskID
            self.kind = kind
            self.path = path
            self.body = body
            self.createdAt = document["created_at"]?.doubleValue ?? 0
            self.bestEffort = document["best_effort"]?.boolValue ?? false
        }
    }

    /// What one delivery attempt of an entry came to.
    enum Verdict: Equatable {
        case delivered
        case retry
        case dead(String)
        case dropped(String)
    }

    let directory: String
    let deadDirectory: String
    /// An entry failing for longer than this goes to `dead/`.
    let maxAge: Double
    private var entries: [Entry] = []
    private var lastSeq = 0
    /// A pass is under way. The actor is re-entrant across the sends' awaits, so a second caller must not start
    /// its own pass over the same first entry: it leaves the work to the running pass, which also takes entries
    /// enqueued meanwhile.
    private var delivering = false

    init(stateDir: String, maxAge: Double = 24 * 3600) throws {
        directory = stateDir + "/outbox"
        deadDirectory = stateDir + "/dead"
        self.maxAge = maxAge
        try DurableFile.makeDirectory(directory)
        try DurableFile.makeDirectory(deadDirectory)
        var loaded: [Entry] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + name
            if name.hasPrefix(".") {  // a temporary file a crash left behind: never renamed, so never promised
                unlink(path)
                continue
            }
            guard name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: path),
                let document = try? JSONParser.parse([UInt8](data)), let entry = Entry(document: document)
            else {
                rename(path, deadDirectory + "/" + name + ".unreadable")
                continue
            }
            loaded.append(entry)
        }
        entries = loaded.sorted { $0.seq < $1.seq }
        lastSeq = entries.last?.seq ?? 0
    }

    var depth: Int { entries.count }
    var pending: [Entry] { entries }
    var taskIDs: Set<String> { Set(entries.map(\.taskID)) }

    /// Writes the entries durably, in order; an entry whose task id and kind is already pending is skipped.
    func enqueue(_ new: [Entry]) throws {
        for var entry in new {
            guard !entries.contains(where: { $0.taskID == entry.taskID && $0.kind == entry.kind }) else { continue }
            lastSeq = max(lastSeq + 1, Int(Date().timeIntervalSince1970 * 1e6))
            entry.seq = lastSeq
            try DurableFile.write(
                Array((entry.document.serialized() + "\n").utf8), to: directory + "/" + entry.fileName)
            entries.append(entry)
        }
    }

    /// What the server's reply to `entry` means for it.
    static func verdict(for reply: ServerAPI.Reply, entry: Entry, now: Double, maxAge: Double) -> Verdict {
        if reply.isSuccess { return .delivered }
        let code = reply.code
        if entry.bestEffort, let code {
            return .dropped("HTTP \(code)")
        }
        let temporary = code.map { $0 == 408 || $0 == 429 || $0 >= 500 } ?? true
        if temporary {
            return now - entry.createdAt > maxAge
                ? .dead("still failing after \(Int(maxAge))s: \(reply.summary)") : .retry
        }
        return .dead(reply.summary)
    }

    /// Sends pending entries in order until one must wait. Returns how many left the outbox and whether a retry
    /// is due (a temporary failure stopped the pass). `report` hears every verdict.
    func deliver(
        with send: @Sendable (Entry) async -> ServerAPI.Reply, report: @Sendable (Entry, Verdict) -> Void = { _, _ in }
    ) async -> (sent: Int, mustRetry: Bool) {
        guard !delivering else { return (0, false) }
        delivering = true
        defer { delivering = false }
        var sent = 0
        while let entry = entries.first {
            let reply = await send(entry)
            let verdict = Self.verdict(for: reply, entry: entry, now: Date().timeIntervalSince1970, maxAge: maxAge)
            report(entry, verdict)
            switch verdict {
            case .retry:
                return (sent, true)
            case .delivered, .dropped:
                remove(entry)
                sent += 1
            case .dead(let reason):
                var document = entry.document
                if case .object(var fields) = document {
                    fields["reason"] = .string(reason)
                    fields["dead_at"] = .double(Date().timeIntervalSince1970)
                    document = .object(fields)
                }
                try? DurableFile.write(
                    Array((document.serialized() + "\n").utf8), to: deadDirectory + "/" + entry.fileName)
                remove(entry)
                sent += 1
            }
        }
        return (sent, false)
    }

    private func remove(_ entry: Entry) {
        unlink(directory + "/" + entry.fileName)
        try? DurableFile.syncDirectory(directory)
        entries.removeAll { $0.seq == entry.seq }
    }

    /// The dead letters' file names (for status and tests).
    var deadLetters: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: deadDirectory)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
    }
}
