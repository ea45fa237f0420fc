package io.drover.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd units pass {@code systemd-analyze verify} (syntax, and the release's launcher as the command) and
 * {@code systemd-analyze security --offline=yes} at an exposure of at most 4.0, each as installed from the archive.
 */
class SystemdUnitsTest {
    private static final List<String> UNITS =
            List.of("drover-agent.service", "drover-controller.service", "drover-worker@.service");

    @TempDir
    Path dir;

    /** The units as the README installs them, with /opt/drover standing for where the archive was unpacked. */
    private List<Path> installed() throws Exception {
        Path home = Repo.unpack(Repo.release(), dir);
        Path units = Files.createDirectories(dir.resolve("units"));
        for (String u : UNITS) {
            String text =
                    Files.readString(home.resolve("deploy/systemd").resolve(u)).replace("/opt/drover/", home + "/");
            // an instance of the template, as systemctl enable drover-worker@build makes it
            Files.writeString(units.resolve(u.replace("@.", "@build.")), text);
        }
        try (var list = Files.list(units)) {
            return list.sorted().toList();
        }
    }

    @Test
    void everyUnitVerifiesWithoutAWord() throws Exception {
        for (Path unit : installed()) {
            Repo.Result r = Repo.run(dir, "systemd-analyze", "verify", "--man=no", unit.toString());
            assertThat(r.exit()).as(unit + ": " + r.out()).isZero();
            assertThat(r.out().strip()).as(unit.getFileName().toString()).isEmpty();
        }
    }

    @Test
    void everyUnitsExposureIsAtMostFour() throws Exception {
        for (Path unit : installed()) {
            Repo.Result r = Repo.run(
                    dir,
                    Map.of("SYSTEMD_COLORS", "0"),
                    120,
                    List.of("systemd-analyze", "security", "--offline=yes", "--threshold=40", unit.toString()));
            assertThat(r.exit()).as(unit + ": " + r.out()).isZero();
            assertThat(r.out())
                    .containsPattern("Overall exposure level for " + unit.getFileName() + ": [0-3]\\.[0-9]|4\\.0");
        }
    }

    @Test
    void theUnitsStopGracefullyAndRestartWithinLimits() throws Exception {
        for (String u : UNITS) {
            String text = Files.readString(Repo.root().resolve("deploy/systemd").resolve(u));
            assertThat(text)
                    .as(u)
                    .contains("Type=exec", "KillSignal=SIGTERM", "KillMode=mixed", "SuccessExitStatus=143")
                    .contains("Restart=on-failure", "StartLimitIntervalSec=", "StartLimitBurst=")
                    .contains("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "PrivateDevices=yes")
                    .contains("ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes")
                    .contains("CapabilityBoundingSet=\n", "UMask=0027", "EnvironmentFile=/etc/drover/")
                    .doesNotContainPattern("(?m)^MemoryDenyWriteExecute="); // the JIT writes code it runs
            int unitSection = text.indexOf("[Unit]");
            int serviceSection = text.indexOf("[Service]");
            assertThat(text.indexOf("StartLimitBurst="))
                    .as("start limits in [Unit]")
                    .isBetween(unitSection, serviceSection);
            long stop = Long.parseLong(text.replaceAll("(?s).*TimeoutStopSec=([0-9]+)s.*", "$1"));
            assertThat(stop).as("TimeoutStopSec beyond the 30 s grace").isGreaterThan(30);
        }
    }
}
