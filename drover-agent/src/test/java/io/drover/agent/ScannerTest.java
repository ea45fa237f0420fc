package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Scanner;
import io.drover.agent.wire.EntryKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listing a workspace: what is hashed, what is remembered, across scanners and processes. */
class ScannerTest {
    @TempDir
    Path tmp;

    @Test
    void aSavedIndexLetsANewScannerHashOnlyWhatChanged() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("ws"));
        for (int i = 0; i < 50; i++)
            Files.writeString(
                    Files.createDirectories(root.resolve("d" + (i % 5))).resolve("f" + i), "v" + i);
        Files.createDirectories(root.resolve(".drover/runs"));
        Files.writeString(root.resolve(".drover/runs/x"), "not part of the workspace");
        Scanner first = new Scanner();
        List<FileEntry> before = first.scan(root);
        assertThat(first.hashedFiles()).isEqualTo(50);
        assertThat(before)
                .extracting(FileEntry::path)
                .doesNotContain(".drover", ".drover/runs/x")
                .contains("d0", "d0/f0");
        first.save(tmp.resolve("index"));

        Files.writeString(root.resolve("d3/f3"), "changed");
        Scanner later = new Scanner(); // another process, say
        later.load(tmp.resolve("index"));
        List<FileEntry> after = later.scan(root);
        assertThat(later.hashedFiles()).isEqualTo(1);
        Changes c = Changes.between(before, after);
        assertThat(c.written()).extracting(FileEntry::path).containsExactly("d3/f3");
        assertThat(c.deleted()).isEmpty();
    }

    @Test
    void aDamagedIndexIsIgnored() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("ws"));
        Files.writeString(root.resolve("a"), "x");
        Files.writeString(tmp.resolve("index"), "garbage");
        Scanner s = new Scanner();
        s.load(tmp.resolve("index"));
        assertThat(s.scan(root)).extracting(FileEntry::kind).containsExactly(EntryKind.FILE);
        assertThat(s.hashedFiles()).isEqualTo(1);
    }

    @Test
    void aFileHardLinkedFromOutsideTheWorkspaceIsListedAsAHardLinkWhichTransfersRefuse() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("ws"));
        Path outside = Files.writeString(tmp.resolve("secret.key"), "outside content");
        Files.createLink(root.resolve("innocent.txt"), outside);
        Files.writeString(root.resolve("a.txt"), "twice inside");
        Files.createLink(root.resolve("b.txt"), root.resolve("a.txt"));
        Map<String, EntryKind> kinds = new TreeMap<>();
        for (var e : new Scanner().scan(root)) kinds.put(e.path(), e.kind());
        assertThat(kinds)
                .containsEntry("innocent.txt", EntryKind.HARDLINK)
                .containsEntry("a.txt", EntryKind.FILE)
                .containsEntry("b.txt", EntryKind.FILE);
    }
}
