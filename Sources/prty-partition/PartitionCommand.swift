import Foundation
import Shared

/// One run of prty-partition: read the Dataset on stdin, compute the whole plan, write one part (or the stats).
/// Every check that needs no data happens in `init`, before stdin is read.
struct PartitionCommand {
    let config: PartitionConfig
    let stats: Bool
    let human: Bool
    let log: Log

    init(_ invocation: Invocation) throws {
        let arguments = invocation.arguments
        let task = try arguments.value("task").map(TaskConfig.load) ?? .empty
        config = try PartitionConfig(task: task, arguments: arguments)
        stats = arguments.flag("stats")
        human = arguments.flag("human")
        if human && !stats { throw PartitionError.humanNeedsStats }
        // Timing events are debug-level: silent for people, present in the NDJSON a runner or benchmark reads.
        log =
            invocation.log.format == .json
            ? Log(tool: invocation.log.tool, format: .json, minimum: .debug) : invocation.log
        if config.strategy != .nonIID {
            if config.alpha != nil { log.warning("ignored", "alpha is used only by non_iid; ignoring it") }
            if config.selfBalancing {
                log.warning("ignored", "self_balancing is used only by non_iid; ignoring it")
            }
        }
    }

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let dataset = try DatasetReader.read(try Input.standardInput(what: "a Dataset document"))
        let parsed = clock.now
        let plan = try PartitionPlan(dataset, config: config)
        if config.totalParts > plan.trainCount {  // accepted (a participant may get nothing), but said once
            log.warning(
                "more_parts_than_rows",
                "\(config.totalParts) parts for \(plan.trainCount) training rows: at least "
                    + "\(config.totalParts - plan.trainCount) parts are empty, and the partition record lists every "
                    + "part's size and class counts; use at most \(plan.trainCount) parts")
        }
        let rows = stats ? [] : plan.rows
        let planned: ContinuousClock.Instant
        if stats {
            planned = clock.now
            let report = PartitionStats(plan: plan, dataset: dataset)
            Tool.writeStdout(human ? report.table() : report.json().serialized() + "\n")
        } else {
            var part = dataset.subset(rows)
            part.partition = plan.partitionObject()
            planned = clock.now
            DatasetWriter.writeStdout(part)  // streamed: the document is never whole in memory
        }
        let written = clock.now
        if config.take == .train, plan.outputSizes[config.partIndex] == 0 {
            log.warning(
                "empty_part",
                "part \(config.partIndex) of \(config.totalParts) is empty "
                    + "(\(plan.trainCount) training samples); use fewer parts or another strategy")
        }
        func seconds(_ duration: Duration) -> JSON {
            .double(Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18)
        }
        log.debug(
            "timing", "parsed, partitioned and wrote \(dataset.count) samples",
            [
                "samples": .int(dataset.count), "rows_written": .int(rows.count),
                "parse_s": seconds(parsed - start), "partition_s": seconds(planned - parsed),
                "write_s": seconds(written - planned),
            ])
    }
}
