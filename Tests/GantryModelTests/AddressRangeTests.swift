import GantryModel
import Testing

@Suite("AddressRange")
struct AddressRangeTests {
    private func range(_ text: String) throws -> AddressRange {
        try #require(AddressRange(parsing: text), "\(text)")
    }

    @Test("one address: only itself")
    func single() throws {
        let local = try range("127.0.0.1")
        #expect(local.contains("127.0.0.1"))
        #expect(!local.contains("127.0.0.2") && !local.contains("::1") && !local.contains("localhost"))
        #expect(local.description == "127.0.0.1")
        let six = try range("::1")
        #expect(six.contains("::1") && six.contains("0:0:0:0:0:0:0:1") && six.contains("[::1]"))
        #expect(!six.contains("::2") && !six.contains("127.0.0.1"))
    }

    @Test("IPv4 blocks")
    func ipv4Blocks() throws {
        let ten = try range("10.0.0.0/8")
        #expect(ten.contains("10.0.0.0") && ten.contains("10.255.255.255") && ten.contains("10.1.2.3"))
        #expect(!ten.contains("11.0.0.0") && !ten.contains("9.255.255.255"))
        let odd = try range("192.168.1.128/25")
        #expect(odd.contains("192.168.1.200") && !odd.contains("192.168.1.127"))
        #expect(try range("10.1.2.3/8") == range("10.1.2.3/8") && range("10.1.2.3/8").contains("10.9.9.9"))
        #expect(try range("0.0.0.0/0").contains("203.0.113.9"))
        #expect(try range("10.0.0.7/32").contains("10.0.0.7") && !range("10.0.0.7/32").contains("10.0.0.8"))
    }

    @Test("IPv6 blocks, compressed or not, with an embedded IPv4 tail or a zone")
    func ipv6Blocks() throws {
        let unique = try range("fd00::/8")
        #expect(unique.contains("fd12:3456:789a::1") && unique.contains("FD00::"))
        #expect(!unique.contains("fe80::1") && !unique.contains("10.0.0.1"))
        let doc = try range("2001:db8::/32")
        #expect(doc.contains("2001:0db8:0000:0000:0000:0000:0000:0001") && doc.contains("2001:db8:ffff::"))
        #expect(!doc.contains("2001:db9::"))
        #expect(try range("fe80::/10").contains("fe80::1%eth0"))
        #expect(try range("::/0").contains("2001:db8::1"))
        #expect(try range("64:ff9b::/96").contains("64:ff9b::192.0.2.33"))
    }

    @Test("an IPv4-mapped IPv6 address is the IPv4 address it maps, on either side")
    func mapped() throws {
        #expect(try range("10.0.0.0/8").contains("::ffff:10.1.2.3"))
        #expect(try range("10.0.0.0/8").contains("::FFFF:a01:203"))
        #expect(try !range("10.0.0.0/8").contains("::ffff:11.1.2.3"))
        #expect(try range("::ffff:127.0.0.1").contains("127.0.0.1"))
        #expect(try range("::ffff:10.0.0.0/104").contains("10.200.0.1"))
        #expect(try range("::ffff:0:0/96").contains("192.0.2.1"))
    }

    @Test(
        "not addresses or ranges",
        arguments: [
            "", "localhost", "10.0.0", "10.0.0.0.0", "256.0.0.1", "10.0.0.1/33", "10.0.0.1/", "10.0.0.1/-1",
            "10.0.0.1/8/8", "1.2.3.4 ", " 1.2.3.4", "1.2.3.x", "1..2.3", ":::", "1::2::3", ":1", "1:", "12345::",
            "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::/129", "g::1", "::1.2.3.4:5", "1:2:3:4:5:6:7:8::",
        ])
    func invalid(_ text: String) {
        #expect(AddressRange(parsing: text) == nil)
    }

    @Test("loopback: localhost, 127.0.0.0/8 and ::1; not the wildcard or other hosts")
    func loopback() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            #expect(AddressRange.isLoopback(host), "\(host)")
        }
        for host in ["0.0.0.0", "::", "10.0.0.1", "build.example", "128.0.0.1", ""] {
            #expect(!AddressRange.isLoopback(host), "\(host)")
        }
    }
}
