import NIOPosix

/// Runs tasks on the SQLite connection's own thread. A transaction's code then goes on, after each statement, on
/// the thread that ran the statement, and hands it the next one there: no thread is woken between the statements
/// of a transaction, where each one used to wake two.
final class ThreadPoolTaskExecutor: TaskExecutor {
    private let pool: NIOThreadPool

    init(_ pool: NIOThreadPool) {
        self.pool = pool
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pool.submit { state in
            guard case .active = state else {
                // The pool has stopped: the task must still run to its end, elsewhere.
                globalConcurrentExecutor.enqueue(ExecutorJob(job))
                return
            }
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
