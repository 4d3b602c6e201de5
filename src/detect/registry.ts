/** Every detector nta ships, in the order alerts are documented. */
import type { Detector } from './detector.js';
import { arpSpoof } from './detectors/arp-spoof.js';
import { blocklistedDestination } from './detectors/blocklisted-destination.js';
import { bruteForceLogin } from './detectors/brute-force-login.js';
import { c2Beaconing } from './detectors/c2-beaconing.js';
import { dnsTunneling } from './detectors/dns-tunneling.js';
import { externalConnection } from './detectors/external-connection.js';
import { gratuitousArpStorm } from './detectors/gratuitous-arp-storm.js';
import { icmpFlood } from './detectors/icmp-flood.js';
import { newDevice } from './detectors/new-device.js';
import { pingSweep } from './detectors/ping-sweep.js';
import { plaintextCredentials } from './detectors/plaintext-credentials.js';
import { portScanHorizontal } from './detectors/port-scan-horizontal.js';
import { portScanVertical } from './detectors/port-scan-vertical.js';
import { synFlood } from './detectors/syn-flood.js';
import { trafficVolumeAnomaly } from './detectors/traffic-volume-anomaly.js';
import { udpFlood } from './detectors/udp-flood.js';

export const DETECTORS: readonly Detector[] = [
  externalConnection,
  portScanVertical,
  portScanHorizontal,
  pingSweep,
  synFlood,
  icmpFlood,
  udpFlood,
  arpSpoof,
  gratuitousArpStorm,
  dnsTunneling,
  blocklistedDestination,
  bruteForceLogin,
  plaintextCredentials,
  newDevice,
  trafficVolumeAnomaly,
  c2Beaconing,
] as Detector[];
