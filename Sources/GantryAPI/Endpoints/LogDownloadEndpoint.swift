import GantryModel
import GantryStorage
import Hummingbird

extension HTTPAPI {
    /// `GET /api/v2/logs/{id}/raw` (a download, named as Buildbot names it) and `/logs/{id}/raw_inline` (the same
    /// text, shown in the browser): the log as `text/plain`, stdio prefixes removed.
    func addLogDownloads(to router: Router<APIRequestContext>) {
        router.get("/api/v2/logs/{id}/raw") { [self] _, context -> Response in
            await rawLog(context.parameters.get("id"), inline: false)
        }
        router.get("/api/v2/logs/{id}/raw_inline") { [self] _, context -> Response in
            await rawLog(context.parameters.get("id"), inline: true)
        }
    }

    /// The text of log `id`, streamed a few chunks at a time: a log may be far larger than what a master should
    /// hold for one request.
    private func rawLog(_ id: String?, inline: Bool) async -> Response {
        do {
            let log = try await Self.log(id, database: database)
            var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
            if !inline {
                let name = try await downloadName(of: log)
                headers[.contentDisposition] = "attachment; filename=\(name)"
            }
            let body = ResponseBody { [database] writer in
                try await database.logs.withLines(log.id) { lines in
                    // A stdio log's lines carry their stream as a first character; the download is the text.
                    let plain =
                        log.kind == .stdio
                        ? lines.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                            .dropLast().map { Substring($0.dropFirst()) + "\n" }.joined() : lines
                    try await writer.write(ByteBuffer(string: plain))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        } catch {
            return await APIResponse.answering(logger: logger) { throw error }
        }
    }

    /// Buildbot's name for a log's download, `BUILDER_build_NUMBER_step_STEP_log_SLUG`, with anything but letters,
    /// digits, `.`, `-` and `_` replaced by `_` so that it is safe in a header; `log_SLUG` when the build is gone.
    private func downloadName(of log: StepLog) async throws -> String {
        var name = "log_\(log.slug)"
        if let step = try await database.steps.getStep(log.stepID),
            let build = try await database.builds.getBuildSummary(step.buildID)
        {
            name = "\(build.builderName)_build_\(build.number)_step_\(step.name)_\(name)"
        }
        return String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }
}
