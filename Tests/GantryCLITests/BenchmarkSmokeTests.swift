import Foundation
import GantryTesting
import Testing

extension ProcessTests {
    /// Each script of `Benchmarks/` run with `--smoke` on the built `gantry`: its own code on the smallest sizes, so
    /// a change that breaks a benchmark fails here, not on the day someone next measures. The scripts start masters
    /// and workers, so they run with the other process suites, one at a time.
    @Suite("The benchmarks' smoke runs", .timeLimit(.minutes(3)))
    struct BenchmarkSmokeTests {
        @Test(
            "a smoke run needing only Python's standard library exits 0",
            arguments: [
                ["api_pages.py"], ["auth.py"], ["change_latency.py"], ["hooks.py"], ["janitor.py"], ["log_bytes.py"],
                ["log_bytes.py", "--storage", "files"], ["native_worker.py"], ["queue_depth.py"],
                ["reporter_latency.py"], ["web_ui.py"],
            ])
        func standardLibrary(_ command: [String]) async throws {
            try await smoke(command)
        }

        /// Each run gets a migrated schema of its own, its URL last on the command line: the failover scripts'
        /// masters share it, and janitor.py fills it through psql.
        @Test(
            "a smoke run on PostgreSQL exits 0",
            .enabled(if: TestBackend.postgresURL != nil, "GANTRY_TEST_POSTGRES_URL is not set"),
            arguments: [["failover.py"], ["build_failover.py"], ["janitor.py", "--database"]])
        func onPostgreSQL(_ command: [String]) async throws {
            try await withCluster { url, _ in try await smoke(command + [url.textWithPassword]) }
        }

        /// The environment of `GANTRY_TEST_PLAYWRIGHT_PYTHON` has the PyPI packages these need: Buildbot 4.3 and
        /// buildbot-worker for versus_buildbot.py (its `--venv`, from `BUILDBOT_VENV`), `websockets` and `msgpack`
        /// for worker_swarm.py.
        @Test(
            "a smoke run needing PyPI packages exits 0",
            .enabled(if: WebTestTools.playwrightPython != nil, "GANTRY_TEST_PLAYWRIGHT_PYTHON is not set"),
            arguments: [["versus_buildbot.py"], ["worker_swarm.py"]])
        func pythonEnvironment(_ command: [String]) async throws {
            let python = try #require(WebTestTools.playwrightPython)
            let venv = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent()
            try await smoke(command, python: python, environment: ["BUILDBOT_VENV": venv.path])
        }

        /// Runs `Benchmarks/SCRIPT --smoke` with the rest of `command` after it, from the package root, on the built
        /// `gantry`. Past two minutes it gets SIGTERM, on which a script stops the processes it started.
        private func smoke(
            _ command: [String], python: String = "python3", environment: [String: String] = [:]
        ) async throws {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent(
                "gantry-smoke-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            // Unbuffered, so the output of a script stopped at its time limit shows how far it got.
            let variables = ["GANTRY_BINARY": GantryProcess.executable.path, "PYTHONUNBUFFERED": "1"]
            let run = try await ToolRun.run(
                "/usr/bin/env", [python, "Benchmarks/\(command[0])", "--smoke"] + command.dropFirst(),
                in: WebTestTools.packageRoot, output: output, environment: environment.merging(variables) { $1 },
                limit: .seconds(120))
            #expect(run.status == 0 && !run.timedOut, "\(command[0]) --smoke \(run.ending):\n\(run.output)")
        }
    }
}
