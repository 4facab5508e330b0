import Foundation
import GantryModel
import GantryWorkers
import Logging

extension StepRun {
    /// FileUpload: the worker's file delivered at `masterdest` only if it arrived whole, within `maxsize`.
    func fileUpload(_ upload: FileUpload) async throws -> BuildResult {
        let source = workerPath(try await render(upload.workdir), try await render(upload.workersrc))
        let destination = masterPath(try await render(upload.masterdest))
        let writer = try FileWriter(destination: destination, mode: upload.mode, maxsize: upload.maxsize)
        let end = try await execute(.uploadFile(path: source, maxsize: upload.maxsize), transfer: writer)
        return await uploadResult(end, refused: await writer.problem, cause: await writer.problemCause)
    }

    /// DirectoryUpload: the worker's directory, as a tar stream within `maxsize`, extracted safely and
    /// delivered at `masterdest` only if the whole stream arrived and unpacked.
    func directoryUpload(_ upload: DirectoryUpload) async throws -> BuildResult {
        let source = workerPath(try await render(upload.workdir), try await render(upload.workersrc))
        let receiver = try DirectoryReceiver(
            destination: masterPath(try await render(upload.masterdest)), maxsize: upload.maxsize)
        let end = try await execute(.uploadDirectory(path: source, maxsize: upload.maxsize), transfer: receiver)
        return await uploadResult(end, refused: await receiver.problem, cause: await receiver.problemCause)
    }

    /// An upload's result: one the master refused fails the step whatever the worker reported, since the
    /// worker may not have heard (extraction ends after unpack is answered) or may not care. The `cause` behind
    /// the problem goes to the master's log, not the step's.
    private func uploadResult(_ end: CommandEnd, refused problem: String?, cause: String?) async -> BuildResult {
        guard let problem else { return Self.result(of: end) }
        if let cause {
            runner.logger.warning(
                "upload not stored on the master",
                metadata: [LogKey.build: "\(buildID)", LogKey.reason: "\(problem)", LogKey.error: "\(cause)"])
        }
        await log.append(problem + "\n", prefix: "h")
        switch end {
        case .exited, .failed: return .failure
        case .stopped, .lost: return Self.result(of: end)
        }
    }

    /// A master-side path: relative ones are taken from the master's configuration directory.
    private func masterPath(_ path: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: runner.basedir).standardizedFileURL
    }

    /// FileDownload: the master's file written on the worker (the bytes really sent).
    func fileDownload(_ download: FileDownload) async throws -> BuildResult {
        let source = masterPath(try await render(download.mastersrc)).path
        let reader: FileReader
        do {
            reader = try FileReader(source: URL(fileURLWithPath: source))
        } catch {
            // The step's log says which file; the system's reason, for operators, goes to the master's log.
            runner.logger.warning(
                "download source not readable on the master",
                metadata: [LogKey.build: "\(buildID)", LogKey.error: "\(String(reflecting: error))"])
            await log.append("cannot read '\(source)' on the master\n", prefix: "h")
            return .failure
        }
        let destination = workerPath(try await render(download.workdir), try await render(download.workerdest))
        let end = try await execute(
            .downloadFile(path: destination, maxsize: download.maxsize, mode: download.mode), transfer: reader)
        return Self.result(of: end)
    }
}
