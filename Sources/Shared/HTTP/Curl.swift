internal import CCurl  // the only file that sees libcurl (docs/architecture.md §4: C stays behind one door)
import Foundation

/// One libcurl transfer: an easy handle driven by its own multi handle on the calling thread. Not Sendable: it
/// is created, used and destroyed inside one `perform`, on one Dispatch thread. The multi interface (rather than
/// curl_easy_perform) lets the loop look at the abort flag every 50 ms, so cancellation is prompt even while the
/// server sends nothing; the abort itself goes through CURLOPT_XFERINFOFUNCTION returning non-zero.
final class Curl {
    /// curl_global_init is not thread-safe and must run once, before any handle exists: a static `let` is
    /// initialised exactly once, under a lock (swift_once).
    private static let globalInit: CURLcode = CCurl_global_init_all()

    private let handle: UnsafeMutableRawPointer  // CURL *
    private let multi: UnsafeMutableRawPointer  // CURLM *
    /// CURLOPT_HTTPHEADER keeps a pointer to the list (curl does not copy it), so it lives as long as the handle.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// CURLOPT_ERRORBUFFER: curl writes a detailed message here when a transfer fails.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var added = false

    private init() throws(HTTPError) {
        guard Curl.globalInit == CURLE_OK else { throw .curl("curl_global_init failed (\(Curl.globalInit.rawValue))") }
        guard let handle = curl_easy_init() else { throw .curl("curl_easy_init failed") }
        guard let multi = curl_multi_init() else {
            curl_easy_cleanup(handle)
            throw .curl("curl_multi_init failed")
        }
        self.handle = handle
        self.multi = multi
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        if added { curl_multi_remove_handle(multi, handle) }
        curl_easy_cleanup(handle)
        curl_multi_cleanup(multi)
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    // MARK: Options (typed wrappers from shim.h: curl_easy_setopt is C-variadic)

    private func check(_ code: CURLcode, _ what: String) throws(HTTPError) {
        guard code == CURLE_OK else { throw .curl("\(what): \(String(cString: curl_easy_strerror(code)))") }
    }
    private func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
        try check(CCurl_setopt_long(handle, option, value), "setting option \(option.rawValue)")
    }
    private func set(_ option: CURLoption, _ value: String) throws(HTTPError) {
        try check(CCurl_setopt_string(handle, option, value), "setting option \(option.rawValue)")  // curl copies
    }
    private func set(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) throws(HTTPError) {
        try check(CCurl_setopt_pointer(handle, option, value), "setting option \(option.rawValue)")
    }

    private func info(_ key: CURLINFO) -> Int {
        var value = 0
        return CCurl_getinfo_long(handle, key, &value) == CURLE_OK ? value : 0
    }
    private func infoOffset(_ key: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        return CCurl_getinfo_offset(handle, key, &value) == CURLE_OK ? Int64(value) : 0
    }
    private func infoString(_ key: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard CCurl_getinfo_string(handle, key, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value)
    }

    // MARK: One transfer

    struct Head {
        var status: Int
        var headers: HTTPHeaders
        var url: String
    }

    /// Performs one attempt of `request` on the calling thread, blocking until it ends. `onHead` is called once,
    /// when the status and headers are known (before the first body byte, or at the end for an empty body);
    /// `onChunk` for each piece of body. Either may throw to abort the transfer with that error.
    static func perform(
        _ request: HTTPRequest, abort: AbortFlag,
        onHead: (Head) throws -> Void, onChunk: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Head {
        let curl = try Curl()
        return try withoutActuallyEscaping(onHead) { onHead in
            try withoutActuallyEscaping(onChunk) { onChunk in
                let transfer = Transfer(request: request, abort: abort, onHead: onHead, onChunk: onChunk)
                transfer.curl = curl
                return try withExtendedLifetime(transfer) {
                    try curl.configure(request, transfer: Unmanaged.passUnretained(transfer).toOpaque())
                    let code = try curl.run(abort: abort)
                    if let failure = transfer.failure { throw failure }
                    guard let code, code != CURLE_ABORTED_BY_CALLBACK else { throw abort.error }
                    guard code == CURLE_OK else { throw curl.error(for: code, request: request) }
                    if let head = transfer.head { return head }
                    return try transfer.deliverHead()
                }
            }
        }
    }

    /// Drives the transfer; nil when the loop stopped because of `abort`.
    private func run(abort: AbortFlag) throws(HTTPError) -> CURLcode? {
        let added = curl_multi_add_handle(multi, handle)
        guard added == CURLM_OK else { throw .curl(String(cString: curl_multi_strerror(added))) }
        self.added = true
        while true {
            var running: Int32 = 0
            let performed = curl_multi_perform(multi, &running)
            guard performed == CURLM_OK else { throw .curl(String(cString: curl_multi_strerror(performed))) }
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                if message.pointee.msg == CURLMSG_DONE { return message.pointee.data.result }
            }
            if running == 0 { throw .curl("the transfer ended without a result") }
            if abort.isRequested { return nil }
            let polled = curl_multi_poll(multi, nil, 0, 50, nil)
            guard polled == CURLM_OK else { throw .curl(String(cString: curl_multi_strerror(polled))) }
        }
    }

    private func configure(_ request: HTTPRequest, transfer: UnsafeMutableRawPointer) throws(HTTPError) {
        let url = request.displayURL
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw .invalidRequest(url: url, detail: "only http:// and https:// URLs are supported")
        }
        try check(CCurl_allow_http_only(handle), "restricting protocols")
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_NOSIGNAL, 1)  // required with threads: no SIGALRM for DNS timeouts
        try set(CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(min(request.connectTimeout, request.timeout)))
        try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
        if let idle = request.idleTimeout {  // below 1 byte/s for `idle` seconds: CURLE_OPERATION_TIMEDOUT
            try set(CURLOPT_LOW_SPEED_LIMIT, 1)
            try set(CURLOPT_LOW_SPEED_TIME, Self.wholeSeconds(idle))
        }
        try set(CURLOPT_BUFFERSIZE, 64 << 10)  // fewer, larger chunks than the 16 KiB default
        try set(CURLOPT_SSL_VERIFYPEER, 1)  // the defaults, stated: there is deliberately no switch to turn it off
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        if let bundle = request.caCertificates { try set(CURLOPT_CAINFO, bundle) }
        if request.maxRedirects > 0 {
            try set(CURLOPT_FOLLOWLOCATION, 1)
            try set(CURLOPT_MAXREDIRS, request.maxRedirects)
        }
        if let path = request.unixSocket {
            try set(CURLOPT_UNIX_SOCKET_PATH, path)
            try set(CURLOPT_NOPROXY, "*")  // a proxy from the environment must not capture a local socket
        }
        if let limit = request.maxResponseBytes {  // refuses a declared Content-Length early; the callback counts
            try check(CCurl_setopt_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limit)), "size limit")
        }

        switch (request.method, request.body) {
        case (.get, nil): try set(CURLOPT_HTTPGET, 1)
        case (.head, nil): try set(CURLOPT_NOBODY, 1)
        case (.post, _): try set(CURLOPT_POST, 1)
        default: try set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        var body = request.body
        if body == nil && [.post, .put, .patch].contains(request.method) { body = Data() }  // Content-Length: 0
        if let body {
            try check(CCurl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size")
            // COPYPOSTFIELDS copies at once, so the Data may go away; "" for an empty body (never NULL).
            if body.isEmpty {
                try set(CURLOPT_COPYPOSTFIELDS, "")
            } else {
                let code = body.withUnsafeBytes { bytes in
                    CCurl_setopt_pointer(
                        handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                }
                try check(code, "body")
            }
        }

        var lines: [String] = []
        for field in request.headers {
            guard Self.isValidHeader(field) else {
                throw .invalidRequest(url: url, detail: "header \(field.name.debugDescription) is malformed")
            }
            lines.append("\(field.name): \(field.value)")
        }
        if !request.headers.contains("User-Agent") { lines.append("User-Agent: prty/\(Version.current)") }
        lines.append("Expect:")  // no 100-continue round trip (curl adds it for bodies over 1 MiB)
        if body != nil && !request.headers.contains("Content-Type") {
            lines.append("Content-Type:")  // not curl's application/x-www-form-urlencoded guess
        }
        for line in lines {
            guard let list = curl_slist_append(headerList, line) else { throw .curl("curl_slist_append failed") }
            headerList = list
        }
        try check(CCurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "headers")

        try check(
            CCurl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { buffer, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                return transfer.receive(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
            }, "write callback")
        try set(CURLOPT_WRITEDATA, transfer)
        try check(
            CCurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { buffer, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                transfer.header(UnsafeRawBufferPointer(start: buffer, count: size * count))
                return size * count
            }, "header callback")
        try set(CURLOPT_HEADERDATA, transfer)
        try set(CURLOPT_NOPROGRESS, 0)
        try check(
            CCurl_setopt_progress_callback(handle, CURLOPT_XFERINFOFUNCTION) { context, _, _, _, _ in
                Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue().abort.isRequested ? 1 : 0
            }, "progress callback")
        try set(CURLOPT_XFERINFODATA, transfer)
    }

    /// Turns a failed transfer's CURLcode into the error a person can act on.
    private func error(for code: CURLcode, request: HTTPRequest) -> HTTPError {
        let url = request.displayURL
        let detail =
            errorBuffer.pointee == 0
            ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
        switch code {
        case CURLE_COULDNT_CONNECT:
            let number = Int32(info(CURLINFO_OS_ERRNO))
            if let path = request.unixSocket {
                return .socketUnavailable(path: path, url: url, detail: number == 0 ? detail : Self.strerror(number))
            }
            return number == ECONNREFUSED ? .connectionRefused(url: url) : .connectionFailed(url: url, detail: detail)
        case CURLE_COULDNT_RESOLVE_HOST:
            return .unresolvedHost(host: URLComponents(string: request.url)?.host ?? request.url, url: url)
        case CURLE_OPERATION_TIMEDOUT:
            guard infoOffset(CURLINFO_CONNECT_TIME_T) > 0 else {
                return .timedOut(url: url, seconds: min(request.connectTimeout, request.timeout), connecting: true)
            }
            // The same code for both timers: the total one if its time is (about) up, else the idle one.
            let elapsed = Double(infoOffset(CURLINFO_TOTAL_TIME_T)) / 1e6
            if let idle = request.idleTimeout, elapsed < request.timeout - 0.5 {
                return .stalled(url: url, seconds: Double(Self.wholeSeconds(idle)))
            }
            return .timedOut(url: url, seconds: request.timeout, connecting: false)
        case CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge(url: url, limit: request.maxResponseBytes ?? 0)
        case CURLE_TOO_MANY_REDIRECTS:
            return .tooManyRedirects(url: url, limit: request.maxRedirects)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidRequest(url: url, detail: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED:
            return .tls(url: url, detail: detail)
        case CURLE_GOT_NOTHING:
            return .connectionFailed(url: url, detail: "the server closed the connection without a response")
        case CURLE_PARTIAL_FILE:
            return .connectionFailed(url: url, detail: "the connection closed before the whole body arrived")
        case CURLE_OUT_OF_MEMORY, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_FAILED_INIT:
            return .curl(detail)
        default:
            return .connectionFailed(url: url, detail: detail)
        }
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        // curl takes 0 as "no timeout", which a request never means: at least 1 ms.
        seconds.isFinite ? max(1, Int(min(seconds, 1e9) * 1000)) : Int(Int32.max)
    }

    private static func wholeSeconds(_ seconds: Double) -> Int {
        seconds.isFinite ? max(1, Int(min(seconds, 1e9).rounded(.up))) : Int(Int32.max)
    }

    private static func strerror(_ number: Int32) -> String {
        String(cString: Foundation.strerror(number))
    }

    /// No CR, LF or NUL anywhere (they would smuggle in another header), and a name without ':' or spaces.
    /// Checked on bytes: Swift sees "\r\n" as one Character, equal to neither "\r" nor "\n".
    private static func isValidHeader(_ field: HTTPHeaders.Field) -> Bool {
        let forbidden: Set<UInt8> = [13, 10, 0]
        return !field.name.isEmpty
            && !field.name.utf8.contains { forbidden.contains($0) || $0 == UInt8(ascii: ":") || $0 == 32 || $0 == 9 }
            && !field.value.utf8.contains { forbidden.contains($0) }
    }

    /// The state of one transfer, reached from curl's callbacks through the user-data pointer. Only the thread
    /// running `perform` touches it.
    private final class Transfer {
        let request: HTTPRequest
        let abort: AbortFlag
        let onHead: (Head) throws -> Void
        let onChunk: (UnsafeRawBufferPointer) throws -> Void
        weak var curl: Curl?
        var headers = HTTPHeaders()
        var head: Head?
        var received = 0
        /// Set when a callback stops the transfer; reported instead of curl's CURLE_WRITE_ERROR.
        var failure: (any Error)?

        init(
            request: HTTPRequest, abort: AbortFlag, onHead: @escaping (Head) throws -> Void,
            onChunk: @escaping (UnsafeRawBufferPointer) throws -> Void
        ) {
            self.request = request
            self.abort = abort
            self.onHead = onHead
            self.onChunk = onChunk
        }

        func header(_ line: UnsafeRawBufferPointer) {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("HTTP/") {
                headers = HTTPHeaders()  // a new response: an interim 1xx, or the next hop of a redirect
            } else if let colon = text.firstIndex(of: ":") {
                headers.add(
                    String(text[..<colon]).trimmingCharacters(in: .whitespaces),
                    String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            }
        }

        @discardableResult
        func deliverHead() throws -> Head {
            let status = curl?.info(CURLINFO_RESPONSE_CODE) ?? 0
            let url = curl?.infoString(CURLINFO_EFFECTIVE_URL) ?? request.url
            let head = Head(status: status, headers: headers, url: url)
            self.head = head
            try onHead(head)
            return head
        }

        func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
            do {
                if head == nil { try deliverHead() }
                received += bytes.count
                if let limit = request.maxResponseBytes, received > limit {
                    throw HTTPError.responseTooLarge(url: request.displayURL, limit: limit)
                }
                try onChunk(bytes)
                return true
            } catch {
                failure = error
                return false
            }
        }
    }
}
