import GantryModel
import GantryPools
import GantryTesting
import Testing

/// Which of an ssh pool's hosts takes the next worker, told the time by a manual clock.
@Suite("ssh pool host book")
struct HostBookTests {
    typealias Book = HostBook<ManualClock.Instant>

    let clock = ManualClock()

    /// The addresses of the hosts the next `count` places go to, nil where none takes a worker.
    private func place(_ count: Int, in book: inout Book) -> [String?] {
        (0..<count).map { _ in book.place(at: clock.now)?.host.address }
    }

    @Test("the host with the least share of its capacity taken goes first, the first listed on a tie, up to capacity")
    func leastLoaded() {
        var book = Book(hosts: [
            SSHSettings.Host(address: "a", capacity: 2), SSHSettings.Host(address: "b", capacity: 4),
        ])
        let placed = place(7, in: &book)
        #expect(placed == ["a", "b", "b", "a", "b", "b", nil])
        #expect(book.whyFull(at: clock.now) == "every host is full or down: a:22 runs 2 of 2; b:22 runs 4 of 4")
    }

    @Test("a released slot takes a worker again; releasing it twice frees one slot only")
    func capacity() {
        var book = Book(hosts: [SSHSettings.Host(address: "a", capacity: 2)])
        let first = book.place(at: clock.now)
        let second = book.place(at: clock.now)
        let third = book.place(at: clock.now)
        #expect(first != nil && second != nil && third == nil)
        if let first {
            book.release(first)
            book.release(first)
        }
        let placed = place(2, in: &book)
        #expect(placed == ["a", nil])
        #expect(book.whyFull(at: clock.now) == "every host is full or down: a:22 runs 2 of 2")
    }

    @Test("a failed host is left alone 5 s, twice as long after each failure in a row, at most 5 min")
    func backoff() {
        let waits = [1, 2, 3, 4, 5, 6, 7, 8, 1000].map { Book.backoff(afterFailures: $0) }
        #expect(waits == [5, 10, 20, 40, 80, 160, 300, 300, 300].map { Duration.seconds($0) })

        let a = SSHSettings.Host(address: "a")
        var book = Book(hosts: [a, SSHSettings.Host(address: "b")])
        let first = book.failed(a, at: clock.now)
        #expect(first == .seconds(5))
        clock.advance(by: .milliseconds(4999))
        let early = place(2, in: &book)
        #expect(early == ["b", nil], "a is left alone, b is full")
        #expect(
            book.whyFull(at: clock.now)
                == "every host is full or down: a:22 runs 0 of 1, failed, tried again in 1 s; b:22 runs 1 of 1")
        clock.advance(by: .milliseconds(1))
        let probe = book.place(at: clock.now)
        #expect(probe?.host == a, "tried again once its wait is over")
        let second = book.failed(a, at: clock.now)
        #expect(second == .seconds(10), "a second failure in a row")
        if let probe { book.release(probe) }
        clock.advance(by: .seconds(9))
        let waiting = place(1, in: &book)
        clock.advance(by: .seconds(1))
        let retried = place(1, in: &book)
        #expect(waiting == [nil] && retried == ["a"])
    }

    @Test("after its wait one start at a time tries a failed host; one that gets through makes it whole again")
    func recovery() {
        let a = SSHSettings.Host(address: "a", capacity: 3)
        var book = Book(hosts: [a])
        book.failed(a, at: clock.now)
        clock.advance(by: .seconds(5))
        let probe = book.place(at: clock.now)
        let meanwhile = place(1, in: &book)
        #expect(probe != nil && meanwhile == [nil], "one start at a time")
        #expect(book.whyFull(at: clock.now) == "every host is full or down: a:22 runs 1 of 3, failed, being tried")
        if let probe { book.reached(probe) }
        let placed = place(3, in: &book)
        #expect(placed == ["a", "a", nil])
        let wait = book.failed(a, at: clock.now)
        #expect(wait == .seconds(5), "a failure after a success counts from the start")
    }

    @Test("a host that never failed takes several starts at once")
    func concurrentStarts() {
        var book = Book(hosts: [SSHSettings.Host(address: "a", capacity: 3)])
        let placed = place(3, in: &book)
        #expect(placed == ["a", "a", "a"])
    }

    @Test("why no host takes a worker, host by host, an IPv6 address in brackets")
    func whyFull() {
        let b = SSHSettings.Host(address: "fd00::2", port: 2222, capacity: 2)
        var book = Book(hosts: [SSHSettings.Host(address: "a"), b])
        let first = place(1, in: &book)
        book.failed(b, at: clock.now)
        clock.advance(by: .milliseconds(1500))
        let second = place(1, in: &book)
        #expect(first == ["a"] && second == [nil])
        #expect(
            book.whyFull(at: clock.now)
                == "every host is full or down: a:22 runs 1 of 1; "
                + "[fd00::2]:2222 runs 0 of 2, failed, tried again in 4 s")
    }

    @Test("a reload keeps the slots and waits of the hosts it keeps, known by address and port")
    func configure() {
        let (a, b) = (SSHSettings.Host(address: "a"), SSHSettings.Host(address: "b"))
        var book = Book(hosts: [a, b])
        let onA = book.place(at: clock.now)
        let onB = book.place(at: clock.now)
        #expect(onA?.host == a && onB?.host == b)
        book.failed(a, at: clock.now)
        book.configure([
            SSHSettings.Host(address: "a", capacity: 3), SSHSettings.Host(address: "c"),
            SSHSettings.Host(address: "b", port: 2222),
        ])
        if let onB { book.release(onB) }
        let placed = place(3, in: &book)
        #expect(placed == ["c", "b", nil], "b on port 2222 is another host than b on port 22")
        #expect(
            book.whyFull(at: clock.now)
                == "every host is full or down: a:22 runs 1 of 3, failed, tried again in 5 s; c:22 runs 1 of 1; "
                + "b:2222 runs 1 of 1")
        if let onA { book.release(onA) }
        clock.advance(by: .seconds(5))
        let later = place(1, in: &book)
        #expect(later == ["a"])
    }

    @Test("hosts are named address:port, an IPv6 address in brackets")
    func target() {
        #expect(SSHSettings.Host(address: "build1").target == "build1:22")
        #expect(SSHSettings.Host(address: "fd00::5", port: 2222).target == "[fd00::5]:2222")
    }
}
