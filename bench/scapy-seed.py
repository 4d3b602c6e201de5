"""The original Python/Scapy approach, as a baseline: sniff(offline=...) with one SQLite insert and commit
per packet. Usage: scapy-seed.py CAPTURE DB COUNT. Prints the number of packets handled."""
import sqlite3
import sys

from scapy.all import IP, TCP, UDP, sniff

capture, db_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = sqlite3.connect(db_path)
conn.execute(
    "CREATE TABLE IF NOT EXISTS traffic (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT, src_ip TEXT,"
    " dst_ip TEXT, protocol TEXT, src_port INTEGER, dst_port INTEGER)"
)
seen = 0


def log(pkt):
    global seen
    seen += 1
    if IP not in pkt:
        return
    proto, sport, dport = "Other", None, None
    if TCP in pkt:
        proto, sport, dport = "TCP", pkt[TCP].sport, pkt[TCP].dport
    elif UDP in pkt:
        proto, sport, dport = "UDP", pkt[UDP].sport, pkt[UDP].dport
    conn.execute(
        "INSERT INTO traffic (timestamp, src_ip, dst_ip, protocol, src_port, dst_port) VALUES (?, ?, ?, ?, ?, ?)",
        (str(pkt.time), pkt[IP].src, pkt[IP].dst, proto, sport, dport),
    )
    conn.commit()


sniff(offline=capture, prn=log, store=False, count=count)
print(seen)
