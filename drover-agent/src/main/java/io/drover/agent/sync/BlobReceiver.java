package io.drover.agent.sync;

import io.drover.agent.wire.Blobs;
import io.drover.agent.wire.Piece;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Receives the contents one side asked for, in the order asked, into files named by their hash in a private
 * staging directory (whoever owns it removes it after use, so a half-written file is never taken for a whole one).
 * Each content is checked against its expected size and SHA-256; a piece of content that was not asked for, more
 * bytes than announced, or a wrong hash rejects the transfer.
 */
public final class BlobReceiver implements AutoCloseable {
  private final Path dir;
  private final java.util.function.Function<String, Path> destination;
  private final Map<String, Long> expected; // hex -> size, in the order asked
  private final java.util.Iterator<Map.Entry<String, Long>> order;
  private Map.Entry<String, Long> current;
  private Path tmp;
  private OutputStream out;
  private MessageDigest md;
  private long written;
  private long total;
  private int completed;

  /** @param wanted hex hash -> size, in the order the other side will send them */
  public BlobReceiver(Path dir, Map<String, Long> wanted) throws IOException {
    this(dir, dir::resolve, wanted);
  }

  /**
   * @param dir made when the first content comes
   * @param destination where each content (by hex hash) is written; a new file, never an existing one
   */
  public BlobReceiver(Path dir, java.util.function.Function<String, Path> destination, Map<String, Long> wanted) {
    this.dir = dir;
    this.destination = destination;
    this.expected = new LinkedHashMap<>(wanted);
    this.order = expected.entrySet().iterator();
  }

  public boolean done() {
    return completed == expected.size() && current == null;
  }

  /** Reads {@link Blobs} messages until the one marked done; every content asked for must have come. */
  public long receiveAll(java.util.function.Supplier<Blobs> in) throws IOException {
    while (true) {
      Blobs blobs = in.get();
      accept(blobs);
      if (blobs.getDone()) break;
    }
    if (!done()) throw new TransferRejected("the transfer ended before every content arrived");
    return total;
  }

  public void accept(Blobs blobs) throws IOException {
    for (Piece p : blobs.getPiecesList()) accept(p);
  }

  private void accept(Piece p) throws IOException {
    if (current == null) {
      if (!order.hasNext()) throw new TransferRejected("received content that was not asked for");
      current = order.next();
      if (!current.getKey().equals(HexFormat.of().formatHex(p.getHash().toByteArray()))) {
        throw new TransferRejected("received content out of order or not asked for");
      }
      if (completed == 0) Files.createDirectories(dir); // only when something comes: directories cost here
      tmp = destination.apply(current.getKey());
      out = Files.newOutputStream(tmp, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
      md = Scanner.sha256();
      written = 0;
    } else if (!p.getHash().isEmpty() && !current.getKey().equals(HexFormat.of().formatHex(p.getHash().toByteArray()))) {
      throw new TransferRejected("content " + current.getKey() + " was cut short");
    }
    int n = p.getData().size();
    written += n;
    total += n;
    if (written > current.getValue()) {
      throw new TransferRejected("content " + current.getKey().substring(0, 12) + " is longer than announced (" + current.getValue() + " bytes)");
    }
    for (var bb : p.getData().asReadOnlyByteBufferList()) {
      md.update(bb.duplicate());
    }
    p.getData().writeTo(out);
    if (p.getLast()) finish();
  }

  private void finish() throws IOException {
    out.close();
    out = null;
    byte[] got = md.digest();
    String hex = current.getKey();
    if (written != current.getValue() || !Arrays.equals(got, HexFormat.of().parseHex(hex))) {
      throw new TransferRejected("content " + hex.substring(0, 12) + " arrived damaged (size or SHA-256 differs)");
    }
    tmp = null;
    current = null;
    completed++;
  }

  /** Drops a half-received content. */
  @Override
  public void close() throws IOException {
    if (out != null) out.close();
    if (tmp != null) Files.deleteIfExists(tmp);
  }
}
