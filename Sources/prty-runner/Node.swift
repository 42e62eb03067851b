import Foundation
import Shared
import Synchronization

/// The daemon (docs/runner.md): listens first, then registers and heartbeats (`Lifecycle`), takes tasks the
/// webhook rings for (`TaskLifecycle`), claims each with `start`, runs it (`Pipeline`), and hands what it owes
/// the server to the durable `Outbox`. SIGINT/SIGTERM: stop taking tasks, let the current one finish within
/// `RUNNER_SHUTDOWN_GRACE` (else cancel it: no result is posted, the server re-offers it), flush the outbox,
/// unregister. A second signal exits 130 at once (`Interruption.managedShutdown`).
final class Node: Sendable {
    let config: NodeConfig
    let api: ServerAPI
    let wallet: String
    let log: Log
    let events: RunnerEvents
    let metrics: RunnerMetrics
    let outbox: Outbox
    private let tasks: Mutex<TaskLifecycle>
    private let state: Mutex<State>
    private let started = Date()

    private struct State {
        var lifecycle: Lifecycle
        var webhookURL = ""
        var capabilities: [JSON] = []
        var current: (id: String, type: String, stage: String, since: Double)?
        var running: Task<Void, Never>?
        var lastHeartbeat: (at: Double, ok: Bool, detail: String)?
        var registered = false
        var completed = 0
        var tunnel: Tunnel?
    }

    init(
        config: NodeConfig, deviceID: String, wallet: String, log: Log, events: RunnerEvents = .none,
        client: HTTPClient = .libcurl
    ) throws {
        self.config = config
        self.api = ServerAPI(client: client, apiBase: config.apiBase, deviceID: deviceID)
        self.wallet = wallet
        self.log = log
        let metrics = RunnerMetrics()
        self.metrics = metrics
        self.events = RunnerEvents { event in
            metrics.observe(event)
            events.observe(event)
        }
        try DurableFile.makeDirectory(config.stateDir)
        self.outbox = try Outbox(stateDir: config.stateDir)
        self.tasks = Mutex(TaskLifecycle(finished: Self.loadFinished(config.stateDir)))
        self.state = Mutex(State(lifecycle: Lifecycle(interval: config.heartbeatInterval)))
    }

    // MARK: Running

    /// Runs until SIGINT/SIGTERM, then shuts down gracefully.
    func run() async throws {
        Interruption.managedShutdown()
        let pendingTasks = await outbox.taskIDs
        let now = Date().timeIntervalSince1970
        tasks.withLock { tasks in for id in pendingTasks { tasks.finished(id, now: now) } }
        try? FileManager.default.removeItem(atPath: config.stateDir + "/work")

        let handler = WebhookHandler(
            deviceID: api.deviceID,
            signature: config.webhookSecret.isEmpty ? nil : WebhookSignature(secret: config.webhookSecret),
            offer: { [self] id in offered(id) })
        let server: HTTPServer
        do {
            server = try HTTPServer(host: config.webhookHost, port: config.webhookPort) { [metrics] request in
                let response = handler.handle(request)
                metrics.webhookAnswered(status: response.status, request: request.body, response: response.body)
                return response
            }
        } catch {
            throw ConfigError(
                "the webhook \(error) (RUNNER_WEBHOOK_PORT=\(config.webhookPort)); is another node running?")
        }
        server.start()
        defer { server.stop() }
        var webhook = WebhookAddress.url(override: config.webhookURLOverride, port: server.port)
        if config.webhookURLOverride == nil {  // the tunnel (docs/tunnel.md): up before registering, or an error
            let tunnel = try await Tunnel.start(
                config.tunnel, webhookPort: server.port, log: log,
                onURLChange: { [self] url in Task { await setWebhookURL(url) } },
                onStateChange: { [self] _ in writeStatus() })
            state.withLock { $0.tunnel = tunnel }
            metrics.watch(tunnel)
            webhook = tunnel.publicURL
        }
        let metricsServer = config.metricsAddress.flatMap { MetricsServer.start($0, metrics: metrics, log: log) }
        defer { metricsServer?.stop() }
        metrics.watchOutbox(config.stateDir + "/outbox")
        state.withLock { $0.webhookURL = webhook }
        log.info(
            "listening", "webhook listening on \(config.webhookHost):\(server.port), registered as \(webhook)",
            ["port": .int(server.port), "webhook": .string(webhook)])

        let capabilities = await Capabilities.discover(config, log: log)
        state.withLock { $0.capabilities = capabilities }
        writeStatus()

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.standingLoop() }
            group.addTask { await self.outboxLoop() }
            group.addTask { await self.sweepLoop() }
            group.addTask {
                while !Interruption.shutdownRequested { try? await Task.sleep(for: .milliseconds(50)) }
            }
            _ = await group.next()
            group.cancelAll()
        }
        await shutdown()
        await state.withLock { $0.tunnel }?.stop()
    }

    /// The tunnel (or an operator) changed the public URL: register it.
    func setWebhookURL(_ url: String) async {
        state.withLock { $0.webhookURL = url }
        _ = await register()
    }

    // MARK: Registration and heartbeat

    private func standingLoop() async {
        var action = state.withLock { $0.lifecycle.start() }
        while !Task.isCancelled {
            switch action {
            case .stop:
                return
            case .register(let delay):
                guard await sleep(delay) else { return }
                let reply = await register()
                action = state.withLock { $0.lifecycle.registerAnswered(reply, jitter: Self.jitter()) }
            case .heartbeat(let delay):
                guard await sleep(delay) else { return }
                let (webhook, busy) = state.withLock { ($0.webhookURL, $0.current != nil) }
                let beganAt = Date()
                let reply = await api.heartbeat(
                    wallet: wallet, busy: busy, uptime: Int(Date().timeIntervalSince(started)), webhook: webhook)
                let seconds = Date().timeIntervalSince(beganAt)
                let (next, reregistering) = state.withLock { state in
                    state.lastHeartbeat = (Date().timeIntervalSince1970, reply.isSuccess, reply.summary)
                    let before = state.lifecycle.reregistrations
                    let next = state.lifecycle.heartbeatAnswered(reply, jitter: Self.jitter())
                    if state.lifecycle.reregistrations > before { state.registered = false }
                    return (next, state.lifecycle.reregistrations > before)
                }
                events.observe(
                    .heartbeat(ok: reply.isSuccess, seconds: seconds, reason: reply.isSuccess ? nil : reply.summary))
                if reregistering {
                    log.warning(
                        "server_forgot_runner",
                        "the server no longer knows this runner (\(reply.summary)); registering again")
                    events.observe(.reregistered)
                } else if !reply.isSuccess {
                    log.warning(
                        "heartbeat_failed", "heartbeat failed: \(reply.summary)", ["reply": .string(reply.summary)])
                }
                if reply.isSuccess, await outbox.depth > 0 { await deliverOutbox() }
                action = next
                writeStatus()
            }
        }
    }

    private func register() async -> ServerAPI.Reply {
        let (webhook, capabilities) = state.withLock { ($0.webhookURL, $0.capabilities) }
        let reply = await api.register(wallet: wallet, webhook: webhook, capabilities: capabilities)
        if reply.isSuccess {
            state.withLock { $0.registered = true }
            log.info(
                "registered", "registered with \(config.apiBase) as \(api.deviceID.prefix(12))… (webhook \(webhook))",
                ["webhook": .string(webhook), "models": .int(capabilities.count)])
            events.observe(.registered(webhook: webhook))
        } else {
            log.warning(
                "register_failed", "registration failed: \(reply.summary); retrying", ["reply": .string(reply.summary)])
            events.observe(.registrationFailed(reason: reply.summary))
        }
        writeStatus()
        return reply
    }

    // MARK: Tasks

    /// The webhook's question, answered at once (on the server's connection thread).
    private func offered(_ id: String) -> TaskLifecycle.Offer {
        let answer = tasks.withLock { $0.offered(id, now: Date().timeIntervalSince1970) }
        if answer == .accepted {
            events.observe(.taskReceived(id: id))
            let work = Task { await self.claimAndRun(id) }
            state.withLock { $0.running = work }
        }
        return answer
    }

    private func claimAndRun(_ id: String) async {
        let outcome = await api.start(taskID: id)
        guard case .task(let task) = outcome else {
            if case .refused(let reply) = outcome {
                log.warning("start_refused", "task \(id) not started: \(reply.summary)", ["task_id": .string(id)])
                events.observe(.taskAbandoned(id: id, reason: reply.summary))
            }
            tasks.withLock { $0.abandoned(id) }
            return
        }
        let type = task["type"]?.stringValue ?? "?"
        let began = Date()
        state.withLock { $0.current = (id, type, "starting", began.timeIntervalSince1970) }
        events.observe(.taskStarted(id: id, type: type))
        log.info("task_started", "task \(id) (\(type)) started", ["task_id": .string(id), "type": .string(type)])
        writeStatus()
        var pipeline = Pipeline(config: config)
        pipeline.onStage = { [self] stage in
            state.withLock { $0.current?.stage = stage }
            writeStatus()
        }
        let output: Pipeline.Output
        do {
            output = try await pipeline.run(task, workDirectory: config.stateDir + "/work/" + id)
        } catch {
            let seconds = Date().timeIntervalSince(began)
            let cancelled = error is CancellationError
            log.warning(
                cancelled ? "task_cancelled" : "task_error",
                cancelled
                    ? "task \(id) cancelled by shutdown; no result posted (the server offers it again)"
                    : "task \(id) could not run: \(error)", ["task_id": .string(id)])
            events.observe(.taskFinished(id: id, type: type, outcome: "cancelled", seconds: seconds, stages: []))
            if !cancelled {
                let failed = Pipeline.Output(
                    result: Pipeline.failure("\(error)", exitCode: 70, seconds: seconds), stages: [])
                await finish(task: task, output: failed, began: began)
            } else {
                tasks.withLock { $0.abandoned(id) }
                state.withLock { $0.current = nil }
            }
            try? FileManager.default.removeItem(atPath: config.stateDir + "/work/" + id)
            return
        }
        try? FileManager.default.removeItem(atPath: config.stateDir + "/work/" + id)
        await finish(task: task, output: output, began: began)
    }

    private func finish(task: JSON, output: Pipeline.Output, began: Date) async {
        let id = task["id"]?.stringValue ?? ""
        let type = task["type"]?.stringValue ?? "?"
        let entries = PostingRules.entries(task: task, output: output, deviceID: api.deviceID)
        do {
            try await outbox.enqueue(entries)
        } catch {
            log.warning(
                "outbox_write_failed", "cannot keep the outcome of task \(id): \(error)", ["task_id": .string(id)])
            tasks.withLock { $0.abandoned(id) }
            state.withLock { $0.current = nil }
            return
        }
        let now = Date().timeIntervalSince1970
        let finished = tasks.withLock { tasks in
            tasks.finished(id, now: now)
            return tasks.finished
        }
        let seconds = Date().timeIntervalSince(began)
        let failed =
            (output.result["exit_code"]?.intValue ?? 0) != 0
            || output.result["error"]?.stringValue.map { !$0.isEmpty } == true
        state.withLock {
            $0.current = nil
            $0.completed += 1
        }
        events.observe(
            .taskFinished(
                id: id, type: type, outcome: failed ? "failed" : "succeeded", seconds: seconds, stages: output.stages))
        log.info(
            "task_finished", "task \(id) (\(type)) \(failed ? "failed" : "succeeded") in \(Self.format(seconds))",
            [
                "task_id": .string(id), "type": .string(type), "seconds": .double(seconds), "failed": .bool(failed),
                "stages": .object(Dictionary(output.stages.map { ($0.0, JSON.double($0.1)) }) { $1 }),
            ])
        await deliverOutbox()
        // Off the Result's path: until this is written, the pending outbox entry marks the task done, and once
        // the server has the Result it refuses a second start (409).
        saveFinished(finished)
    }

    // MARK: Outbox

    @discardableResult
    private func deliverOutbox() async -> Bool {
        let api = self.api
        let events = self.events
        let log = self.log
        let (_, mustRetry) = await outbox.deliver(
            with: { entry in await api.post(entry.path, bytes: Array(entry.body.serialized().utf8)) },
            report: { entry, verdict in
                let text: String
                switch verdict {
                case .delivered: text = "delivered"
                case .retry: text = "retry"
                case .dropped(let why): text = "dropped: \(why)"
                case .dead(let why):
                    text = "dead letter: \(why)"
                    log.warning(
                        "dead_letter",
                        "the server refused \(entry.kind.rawValue) for task \(entry.taskID) for good (\(why)); kept in dead/",
                        ["task_id": .string(entry.taskID), "kind": .string(entry.kind.rawValue)])
                }
                events.observe(.delivered(taskID: entry.taskID, kind: entry.kind.rawValue, verdict: text))
            })
        let depth = await outbox.depth
        events.observe(.outboxDepth(depth))
        writeStatus(outboxDepth: depth)
        return mustRetry
    }

    private func outboxLoop() async {
        var failures = 0
        while !Task.isCancelled {
            let mustRetry = await deliverOutbox()
            failures = mustRetry ? failures + 1 : 0
            let wait = mustRetry ? Lifecycle.backoff(failures: failures, jitter: Self.jitter()) : 5
            guard await sleep(wait) else { return }
        }
    }

    private func sweepLoop() async {
        while await sleep(3600) {
            let now = Date().timeIntervalSince1970
            let finished = tasks.withLock { tasks in
                tasks.sweep(now: now)
                return tasks.finished
            }
            saveFinished(finished)
        }
    }

    // MARK: Shutdown

    private func shutdown() async {
        let deadline = Date().addingTimeInterval(config.shutdownGrace)
        tasks.withLock { $0.close() }
        _ = state.withLock { $0.lifecycle.stop() }
        log.info(
            "shutting_down",
            "shutting down: no new tasks; waiting up to \(Self.format(config.shutdownGrace)) for the current one")
        let running = state.withLock { $0.running }
        if let running {
            let finished = await Self.within(deadline.timeIntervalSinceNow) { await running.value }
            if !finished {
                running.cancel()
                await running.value
            }
        }
        if await outbox.depth > 0 {
            _ = await Self.within(max(1, deadline.timeIntervalSinceNow)) { _ = await self.deliverOutbox() }
        }
        let left = await outbox.depth
        if left > 0 {
            log.warning(
                "outbox_pending",
                "\(left) outbox entr\(left == 1 ? "y" : "ies") kept in \(config.stateDir)/outbox for the next start")
        }
        let reply = await api.unregister()
        log.info("unregistered", reply.isSuccess ? "unregistered; bye" : "unregister failed (\(reply.summary)); bye")
        state.withLock { $0.registered = false }
        writeStatus(stopped: true)
    }

    /// Runs `body`; true when it ended within `seconds`, else it is cancelled and false returned at once (a task
    /// group would wait for a child that does not heed cancellation, such as one awaiting another task's value).
    private static func within(_ seconds: Double, _ body: @escaping @Sendable () async -> Void) async -> Bool {
        let done = Mutex(false)
        let work = Task {
            await body()
            done.withLock { $0 = true }
        }
        let deadline = Date().addingTimeInterval(max(0, seconds))
        while Date() < deadline {
            if done.withLock({ $0 }) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        if done.withLock({ $0 }) { return true }
        work.cancel()
        return false
    }

    // MARK: Status and helpers

    /// `state/status.json`, read by `prty-runner status`.
    private func writeStatus(outboxDepth: Int? = nil, stopped: Bool = false) {
        let snapshot = state.withLock { state -> JSON in
            var fields: [String: JSON] = [
                "pid": .int(Int(getpid())), "device_id": .string(api.deviceID), "wallet_address": .string(wallet),
                "server": .string(config.apiBase), "webhook": .string(state.webhookURL),
                "registered": .bool(state.registered), "started_at": .string(PostingRules.rfc3339(started)),
                "tasks_completed": .int(state.completed), "reregistrations": .int(state.lifecycle.reregistrations),
                "state": .string(stopped ? "stopped" : Interruption.shutdownRequested ? "stopping" : "running"),
                "updated_at": .string(PostingRules.rfc3339(Date())),
            ]
            if let current = state.current {
                fields["current_task"] = [
                    "id": .string(current.id), "type": .string(current.type), "stage": .string(current.stage),
                    "running_seconds": .double((Date().timeIntervalSince1970 - current.since).rounded()),
                ]
            }
            if let beat = state.lastHeartbeat {
                fields["last_heartbeat"] = [
                    "at": .string(PostingRules.rfc3339(Date(timeIntervalSince1970: beat.at))), "ok": .bool(beat.ok),
                    "reply": .string(beat.detail),
                ]
            }
            if let outboxDepth { fields["outbox_depth"] = .int(outboxDepth) }
            if let tunnel = state.tunnel { fields["tunnel"] = tunnel.status.json }
            return .object(fields)
        }
        let path = config.stateDir + "/status.json"
        var document = snapshot
        if outboxDepth == nil, case .object(var fields) = document,
            let old = FileManager.default.contents(atPath: path).flatMap({ try? JSONParser.parse([UInt8]($0)) }),
            let depth = old["outbox_depth"]
        {
            fields["outbox_depth"] = depth
            document = .object(fields)
        }
        try? DurableFile.write(Array((document.serialized() + "\n").utf8), to: path, sync: false)
    }

    private static func loadFinished(_ stateDir: String) -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: stateDir + "/finished.json"),
            let document = try? JSONParser.parse([UInt8](data)), let object = document.objectValue
        else { return [:] }
        return object.compactMapValues(\.doubleValue)
    }

    private func saveFinished(_ finished: [String: Double]) {
        let document = JSON.object(finished.mapValues { .double($0) })
        do {
            try DurableFile.write(
                Array(document.serialized().utf8), to: config.stateDir + "/finished.json", sync: false)
        } catch {
            log.warning("state_write_failed", "\(error)")
        }
    }

    /// Sleeps; false when cancelled.
    private func sleep(_ seconds: Double) async -> Bool {
        guard seconds > 0 else { return !Task.isCancelled }
        do {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return true
        } catch {
            return false
        }
    }

    static func jitter() -> Double { Double.random(in: -1...1) }

    static func format(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.2fs", seconds) : "\(Int(seconds.rounded()))s"
    }
}
