// Installs Debian's Chromium for the end-to-end tests when it is missing (the test machines run as root).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(CHROMIUM)) process.exit(0);
if (process.platform !== "linux" || typeof process.getuid !== "function" || process.getuid() !== 0) {
  console.error(`ensure-chromium: ${CHROMIUM} is missing; install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  process.exit(1);
}
console.log("ensure-chromium: installing Debian's chromium package…");
execSync("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium", { stdio: "inherit", shell: "/bin/bash" });
if (!existsSync(CHROMIUM)) {
  console.error(`ensure-chromium: ${CHROMIUM} still missing after apt-get`);
  process.exit(1);
}
