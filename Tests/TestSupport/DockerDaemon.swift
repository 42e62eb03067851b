import Foundation
import Shared
import Synchronization

/// A private Docker engine for the tests: its own `dockerd` with its own socket, data root, exec root and pid
/// file, all under a fresh temporary directory, `--bridge=none` and no iptables, so it can never meet an
/// operator's engine (or another engineer's test run). A busybox image is made from Debian's busybox-static with
/// `docker import` (no registry). Stopped by its pid; `<exec-root>/netns` is unmounted afterwards.
///
///     let docker = try await DockerDaemon.shared()
///     runTool("prty-exec", stdin: task, environment: ["DOCKER_HOST": docker.host])
///
/// One daemon serves a whole test process (started on first use, stopped at exit). A missing `dockerd` or
/// busybox makes `shared()` throw: the test fails, it is never skipped.
public final class DockerDaemon: Sendable {
    /// `unix:///tmp/prty-dockerd-XXXXXX/docker.sock`.
    public let host: String
    public let socket: String
    public let directory: String
    /// The busybox image every test uses.
    public let busybox = "local/busybox:1"
    private let pid: Int32

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private static let instance = Mutex<DockerDaemon?>(nil)
    private static let starting = Mutex(false)

    /// The process's daemon, started on first use.
    public static func shared() throws -> DockerDaemon {
        // Serialised: two suites asking at once must not start two daemons.
        while true {
            if let daemon = instance.withLock({ $0 }) { return daemon }
            let mine = starting.withLock { busy -> Bool in
                if busy { return false }
                busy = true
                return true
            }
            if mine { break }
            usleep(50_000)
        }
        defer { starting.withLock { $0 = false } }
        let daemon = try DockerDaemon()
        instance.withLock { $0 = daemon }
        atexit { DockerDaemon.instance.withLock { $0 }?.stop() }
        return daemon
    }

    private init() throws {
        var template = Array("/tmp/prty-dockerd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw StartError(description: "mkdtemp failed") }
        directory = String(cString: made)
        socket = directory + "/docker.sock"
        host = "unix://" + socket
        let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let dockerd else {
            throw StartError(description: "no dockerd: apt-get install docker.io (make deps does)")
        }
        guard
            let busybox = ["/bin/busybox", "/usr/bin/busybox"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw StartError(description: "no busybox: apt-get install busybox-static (make deps does)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dockerd)
        process.arguments = [
            "-H", host, "--data-root", directory + "/data", "--exec-root", directory + "/exec",
            "--pidfile", directory + "/docker.pid", "--bridge=none", "--iptables=false", "--ip6tables=false",
            "--ip-masq=false", "--userland-proxy=false",
        ]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        _ = FileManager.default.createFile(atPath: directory + "/dockerd.log", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: directory + "/dockerd.log") ?? log
        process.standardError = FileHandle(forWritingAtPath: directory + "/dockerd.log") ?? log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        pid = process.processIdentifier

        let deadline = Date().addingTimeInterval(60)
        while Self.curl(socket, ["http://localhost/_ping"]).status != 0 {
            guard Date() < deadline, process.isRunning else {
                let text = (try? String(contentsOfFile: directory + "/dockerd.log", encoding: .utf8)) ?? ""
                stop()
                throw StartError(description: "the private dockerd did not answer on \(socket)\n\(text.suffix(2000))")
            }
            usleep(100_000)
        }
        // busybox rootfs → docker import (the engine's own `fromSrc=-`).
        let rootfs = directory + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: busybox, toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "sleep", "true", "false", "echo", "cat", "ls", "id", "env", "head", "tail", "seq", "yes"] {
            try FileManager.default.createSymbolicLink(
                atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", rootfs, "-cf", directory + "/rootfs.tar", "."]
        try tar.run()
        tar.waitUntilExit()
        let imported = Self.curl(
            socket,
            [
                "-X", "POST", "-H", "Content-Type: application/x-tar", "--data-binary", "@" + directory + "/rootfs.tar",
                "http://localhost/v1.41/images/create?fromSrc=-&repo=local/busybox&tag=1",
            ])
        guard imported.status == 0, imported.output.contains("sha256:") else {
            stop()
            throw StartError(description: "docker import of busybox failed: \(imported.output)")
        }
    }

    /// `curl --unix-socket` (an independent client: the tests do not check the engine through the code under test).
    @discardableResult
    public static func curl(_ socket: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--fail", "--max-time", "60", "--unix-socket", socket] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// GET an engine path (`/containers/json?all=1`) and parse the JSON answer.
    public func get(_ path: String) throws -> JSON {
        let (status, output) = Self.curl(socket, ["http://localhost/v1.41" + path])
        guard status == 0 else { throw StartError(description: "GET \(path): \(output)") }
        return try JSONParser.parse(output)
    }

    /// Containers prty-exec made (labelled `org.parity.prty-exec`), running or not.
    public func taskContainers() throws -> [JSON] {
        try get("/containers/json?all=1&filters=%7B%22label%22%3A%5B%22org.parity.prty-exec%22%5D%7D").arrayValue ?? []
    }

    /// Stops the daemon by its pid (SIGTERM, then SIGKILL), unmounts what it left, removes the directory.
    public func stop() {
        if kill(pid, SIGTERM) == 0 {
            let deadline = Date().addingTimeInterval(20)
            while kill(pid, 0) == 0 && Date() < deadline {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { break }
                usleep(50_000)
            }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        if let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) {
            let mine = mounts.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count > 1 && fields[1].hasPrefix(directory) ? String(fields[1]) : nil
            }
            for path in mine.reversed() { umount2(path, Int32(MNT_DETACH)) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
