import Foundation
import Shared

/// Makes a task's image available: the local one, else `docker_image_url` loaded (an `/ipfs/` URL is fetched and
/// verified by prty-fetch), else a pull from its registry, progress on stderr. Bounded by RUNNER_DOCKER_TIMEOUT.
struct Images {
    let engine: EngineAPI
    let log: Log
    let timeout: Double

    /// The image's ID (`sha256:…`), or `ExecError.imageUnavailable` saying what was tried.
    func ensure(_ name: String, url: String?) async throws -> String {
        if let id = try await localID(name) { return id }
        if let url {
            try await load(from: url)
            if let id = try await localID(name) { return id }
            throw ExecError.imageUnavailable("\(url) was loaded but holds no image called \(name)")
        }
        try await pull(name)
        if let id = try await localID(name) { return id }
        throw ExecError.imageUnavailable("image \(name) is still missing after the pull")
    }

    func localID(_ name: String) async throws -> String? {
        let document = try await engine.json(
            engine.request(.get, "/images/\(Self.pathComponent(name))/json"), accept: [404])
        return document["Id"]?.stringValue
    }

    /// `POST /images/create?fromImage=…&tag=…`, its NDJSON progress followed; an `error` line fails it.
    func pull(_ name: String) async throws {
        let (repository, tag) = Self.split(name)
        var query = [("fromImage", repository)]
        if let tag { query.append(("tag", tag)) }
        var request = engine.request(.post, "/images/create", query: query)
        request.timeout = timeout
        request.idleTimeout = min(timeout, 120)
        request.maxResponseBytes = nil
        log.info("image_pull", "pulling \(name)", ["image": .string(name)])
        let response: HTTPStreamingResponse
        do {
            response = try await engine.client.stream(request)
        } catch let error as HTTPError {
            throw ExecError.imageUnavailable("pulling \(name) failed: \(error)")
        }
        guard response.isSuccess else {
            var body: [UInt8] = []
            for try await chunk in response.body {
                body += chunk
                if body.count > 4096 { break }
            }
            throw ExecError.imageUnavailable(
                "\(name) is not a local image and pulling it failed: \(EngineAPI.message(body))")
        }
        var lastStatus = ""
        do {
            for try await line in response.body.lines where !line.isEmpty {
                guard let event = try? JSONParser.parse(line) else { continue }
                if let error = event["error"]?.stringValue ?? event["errorDetail"]?["message"]?.stringValue {
                    throw ExecError.imageUnavailable("\(name) is not a local image and pulling it failed: \(error)")
                }
                if let status = event["status"]?.stringValue, status != lastStatus {
                    lastStatus = status
                    let layer = event["id"]?.stringValue.map { "\($0): " } ?? ""
                    log.info("image_pull_progress", "\(name): \(layer)\(status)", ["image": .string(name)])
                }
            }
        } catch let error as HTTPError {
            throw ExecError.imageUnavailable("pulling \(name) failed: \(error)")
        }
    }

    /// Downloads `url` (or fetches an `/ipfs/` one through prty-fetch, verified block by block) and loads it.
    func load(from url: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prty-exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("image.tar").path
        log.info("image_download", "fetching image tarball \(HTTPRequest(.get, url).displayURL)", [:])
        if let cid = Self.ipfsPath(url) {
            let fetch = Subprocess(
                Self.sibling("prty-fetch"), ["get", "/ipfs/\(cid)", "--output", file],
                environment: ProcessInfo.processInfo.environment, stdout: .discard,
                stderr: .capture(limit: 64 << 10), timeout: timeout)
            let result = try await fetch.run()
            guard result.succeeded else {
                let why = result.stderrText.split(separator: "\n").last.map(String.init) ?? "\(result.termination)"
                throw ExecError.imageUnavailable("fetching \(url) failed: \(why)")
            }
        } else {
            var request = HTTPRequest(.get, url, headers: ["Accept": "application/octet-stream"])
            request.timeout = timeout
            request.idleTimeout = min(timeout, 120)
            request.maxResponseBytes = nil
            request.maxRedirects = 5
            guard FileManager.default.createFile(atPath: file, contents: nil),
                let handle = FileHandle(forWritingAtPath: file)
            else { throw ExecError.imageUnavailable("cannot create \(file)") }
            defer { try? handle.close() }
            do {
                let response = try await HTTPClient.live.stream(request).requireSuccess()
                for try await chunk in response.body { try handle.write(contentsOf: chunk) }
            } catch let error as HTTPError {
                throw ExecError.imageUnavailable("downloading \(request.displayURL) failed: \(error)")
            }
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ExecError.imageUnavailable("cannot read \(file)")
        }
        var request = engine.request(.post, "/images/load", query: [("quiet", "1")])
        request.body = data
        request.headers["Content-Type"] = "application/x-tar"
        request.timeout = timeout
        let response = try await engine.call(request, accept: [400, 500])
        if !response.isSuccess {
            throw ExecError.imageUnavailable("the engine could not load \(url): \(EngineAPI.message(response.bytes))")
        }
        for line in response.text.split(separator: "\n") {
            if let error = (try? JSONParser.parse(String(line)))?["error"]?.stringValue {
                throw ExecError.imageUnavailable("the engine could not load \(url): \(error)")
            }
        }
    }

    /// `registry:5000/name:tag` → (`registry:5000/name`, `tag`); a digest stays in the name.
    static func split(_ name: String) -> (String, String?) {
        if name.contains("@") { return (name, nil) }
        let slash = name.lastIndex(of: "/").map { name.index(after: $0) } ?? name.startIndex
        if let colon = name[slash...].lastIndex(of: ":") {
            return (String(name[..<colon]), String(name[name.index(after: colon)...]))
        }
        return (name, "latest")
    }

    static func pathComponent(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~:/@")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    /// The CID of `…/ipfs/CID[/…][?…]`, `ipfs://CID`, if `url` names IPFS content.
    static func ipfsPath(_ url: String) -> String? {
        let rest: Substring
        if url.hasPrefix("ipfs://") {
            rest = url.dropFirst("ipfs://".count)
        } else if let range = url.range(of: "/ipfs/") {
            rest = url[range.upperBound...]
        } else {
            return nil
        }
        let cid = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return cid.isEmpty ? nil : String(cid)
    }

    /// A tool installed beside this one (`prty-fetch` next to `prty-exec`), else the name for a PATH lookup.
    static func sibling(_ tool: String) -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let beside = me.deletingLastPathComponent().appendingPathComponent(tool).path
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : tool
    }
}
