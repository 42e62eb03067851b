import Foundation
import Shared

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
    private let process: PeerProcess

    private static let instance = SharedPeer(start: { try DockerDaemon() }, stop: { $0.stop() })

    /// The process's daemon, started on first use.
    public static func shared() throws -> DockerDaemon { try instance.get() }

    private init() throws {
        var template = Array("/tmp/prty-dockerd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw PeerError("mkdtemp failed") }
        directory = String(cString: made)
        socket = directory + "/docker.sock"
        host = "unix://" + socket
        let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        let busybox = ["/bin/busybox", "/usr/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let log = directory + "/dockerd.log"
        do {
            guard let dockerd else { throw PeerError("no dockerd: apt-get install docker.io (make deps does)") }
            guard let busybox else {
                throw PeerError("no busybox: apt-get install busybox-static (make deps does)")
            }
            process = try PeerProcess(
                "the private dockerd", executable: URL(fileURLWithPath: dockerd),
                [
                    "-H", host, "--data-root", directory + "/data", "--exec-root", directory + "/exec",
                    "--pidfile", directory + "/docker.pid", "--bridge=none", "--iptables=false", "--ip6tables=false",
                    "--ip-masq=false", "--userland-proxy=false",
                ],
                stdout: .file(log), stderr: .file(log))
            do {
                try process.waitUntil("did not answer on \(socket)", timeout: 60, interval: 0.1) {
                    Self.curl(socket, ["http://localhost/_ping"]).status == 0
                }
                try importBusybox(busybox)
            } catch {
                process.stop(grace: 20)
                throw error
            }
        } catch {
            Self.cleanUp(directory)
            throw error
        }
    }

    /// busybox rootfs → `docker import` (the engine's own `fromSrc=-`), as `local/busybox:1`.
    private func importBusybox(_ busybox: String) throws {
        let rootfs = directory + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: busybox, toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "sleep", "true", "false", "echo", "cat", "ls", "id", "env", "head", "tail", "seq", "yes"] {
            try FileManager.default.createSymbolicLink(
                atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        let tar = try runProcess(
            URL(fileURLWithPath: "/bin/tar"), ["-C", rootfs, "-cf", directory + "/rootfs.tar", "."])
        guard tar.status == 0 else { throw PeerError("tar of the busybox rootfs failed: \(tar.stderr)") }
        let imported = Self.curl(
            socket,
            [
                "-X", "POST", "-H", "Content-Type: application/x-tar", "--data-binary", "@" + directory + "/rootfs.tar",
                "http://localhost/v1.41/images/create?fromSrc=-&repo=local/busybox&tag=1",
            ])
        guard imported.status == 0, imported.output.contains("sha256:") else {
            throw PeerError("docker import of busybox failed: \(imported.output)")
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
        guard status == 0 else { throw PeerError("GET \(path): \(output)") }
        return try JSONParser.parse(output)
    }

    /// Containers prty-exec made (labelled `org.parity.prty-exec`), running or not.
    public func taskContainers() throws -> [JSON] {
        try get("/containers/json?all=1&filters=%7B%22label%22%3A%5B%22org.parity.prty-exec%22%5D%7D").arrayValue ?? []
    }

    /// Stops the daemon by its pid (SIGTERM, then SIGKILL after 20 s), unmounts what it left, removes the directory.
    public func stop() {
        process.stop(grace: 20)
        Self.cleanUp(directory)
    }

    private static func cleanUp(_ directory: String) {
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
