import GantryModel

/// What the event feed holds in memory, and what it serves a subscriber at a cursor (the id of the last event the
/// subscriber has): the feed's decisions, apart from the reading and waiting that ``EventFeed`` does.
///
/// The window holds the newest events read, at most `capacity` of them; together they are every event with an id
/// in `(floor, newest]`, since the feed reads all the ids after the newest it has. A cursor inside that range is
/// served from memory; an older one from the database, unless events after it were trimmed there.
struct EventFeedWindow: Sendable {
    /// What a subscriber at a cursor gets now.
    enum Serving: Sendable, Equatable {
        /// The next events after the cursor, oldest first.
        case events([FeedEvent])
        /// The events after the cursor are older than memory holds but may still be stored: read them there.
        case read
        /// Events after the cursor are gone, or the cursor names no event there ever was: go on from `newest`.
        case resync(newest: Int)
        /// Nothing after the cursor yet.
        case wait
    }

    let capacity: Int
    /// The most events served at once.
    let batchLimit: Int
    /// The held events, oldest first, from `events[oldest]` on; the ones before it are dropped and wait to be
    /// compacted away, so that dropping one costs nothing.
    private var events: [FeedEvent] = []
    private var oldest = 0
    /// The id of the newest event read, or where the events ended when the feed started; nil until it starts.
    private(set) var newest: Int?
    /// Every event after this id and up to `newest` is held.
    private var floor = 0
    /// The highest id known to be trimmed from the database.
    private(set) var trimmedThrough = 0
    /// The reads begun (each reads until caught up), and the number of the last that caught up.
    private(set) var round = 0
    private var roundCaughtUp = 0

    init(capacity: Int, batchLimit: Int) {
        self.capacity = max(capacity, 1)
        self.batchLimit = max(batchLimit, 1)
    }

    /// The feed begins reading the events after `newest`.
    mutating func roundStarted() {
        round += 1
    }

    /// The feed found where the events end, when it started or after it skipped reads (no one followed it); it
    /// holds only what comes after, and serves an older cursor from the database. A `newest` not past what it
    /// holds changes nothing.
    mutating func started(newest: Int, trimmedThrough: Int) {
        trimmed(through: trimmedThrough)
        guard self.newest.map({ newest > $0 }) ?? true else { return }
        events.removeAll()
        oldest = 0
        self.newest = newest
        floor = newest
    }

    /// The feed read `batch`, the next events after `newest` in id order; any not after it are ignored.
    mutating func read(_ batch: [FeedEvent]) {
        guard var head = newest else { return }
        for event in batch where event.id > head {
            events.append(event)
            head = event.id
        }
        newest = head
        while events.count - oldest > capacity {
            floor = events[oldest].id
            oldest += 1
        }
        if oldest >= capacity {
            events.removeFirst(oldest)
            oldest = 0
        }
    }

    /// The read begun last found no more events.
    mutating func caughtUp() {
        roundCaughtUp = round
    }

    /// The database holds no event with an id up to `through` any more.
    /// Events up to `through` were trimmed before the feed read them (it could not read the database while the
    /// other masters wrote and trimmed): what it holds no longer runs on without a gap, so it starts again after
    /// them, and a cursor before them is told to resync.
    mutating func skipped(through: Int) {
        trimmed(through: through)
        guard let head = newest, through > head else { return }
        events.removeAll()
        oldest = 0
        floor = through
        newest = through
    }

    mutating func trimmed(through: Int) {
        trimmedThrough = max(trimmedThrough, through)
    }

    /// What a subscriber at `cursor` gets, who asked when ``round`` was `asked`.
    func serving(after cursor: Int, asked: Int) -> Serving {
        guard let newest else { return .wait }
        guard cursor < newest else {
            // A cursor past every event read may come from a master whose events this one has not read yet; once
            // a read begun after the question finds none that far, the cursor names no event of this database.
            return cursor > newest && roundCaughtUp > asked ? .resync(newest: newest) : .wait
        }
        guard cursor >= floor else { return cursor < trimmedThrough ? .resync(newest: newest) : .read }
        let held = events[oldest...]
        var low = held.startIndex
        var high = held.endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if held[middle].id > cursor { high = middle } else { low = middle + 1 }
        }
        let next = held[low...].prefix(batchLimit)
        return next.isEmpty ? .wait : .events(Array(next))
    }
}
