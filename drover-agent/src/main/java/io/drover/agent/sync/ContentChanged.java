package io.drover.agent.sync;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file changed between its listing and its sending otherwise than by growing (rewritten in place, truncated): what
 * would arrive is not what its listed hash names. The upload can be tried again from a new listing.
 */
public final class ContentChanged extends IOException {
    private final Path file;

    public ContentChanged(Path file, String how) {
        super(file + " changed while it was being sent (" + how + ")");
        this.file = file;
    }

    /** The file that changed. */
    public Path file() {
        return file;
    }
}
