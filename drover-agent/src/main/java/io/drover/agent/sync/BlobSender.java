package io.drover.agent.sync;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.drover.agent.wire.Blobs;
import io.drover.agent.wire.Piece;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * Sends contents in the order asked, packed into {@link Blobs} messages of at most {@link #MESSAGE_BYTES} of data:
 * small files share a message, large ones span several. The sender checks that a file still has the size it had
 * when it was listed, so a file changed meanwhile fails the transfer instead of sending a mismatch.
 */
public final class BlobSender {
  /** Bytes per message, data and per-piece overhead together: under the protocol's 1 MiB rule. */
  public static final int MESSAGE_BYTES = 960 * 1024;
  /** What a piece costs besides its data: the hash, the flags, the framing. */
  private static final int PIECE_OVERHEAD = 48;

  /** Where a message goes; blocks while the stream is not ready. */
  @FunctionalInterface
  public interface Out {
    void send(Blobs blobs) throws IOException;
  }

  private BlobSender() {}

  /**
   * @param hashes hex hashes, in the order asked
   * @param source where each content is read from
   * @param size each content's size
   * @return bytes sent
   */
  public static long send(List<String> hashes, Function<String, Path> source, Function<String, Long> size, Out out)
      throws IOException {
    Blobs.Builder msg = Blobs.newBuilder();
    int inMsg = 0;
    long sent = 0;
    for (String hex : hashes) {
      Path file = source.apply(hex);
      if (file == null) throw new TransferRejected("asked for content " + hex.substring(0, Math.min(12, hex.length())) + " that was never offered");
      long expected = size.apply(hex);
      ByteString hash = ByteString.copyFrom(HexFormat.of().parseHex(hex));
      long left = expected;
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        do {
          int room = MESSAGE_BYTES - inMsg - PIECE_OVERHEAD;
          if (room <= 0) {
            out.send(msg.build());
            msg = Blobs.newBuilder();
            inMsg = 0;
            room = MESSAGE_BYTES - PIECE_OVERHEAD;
          }
          int want = (int) Math.min(room, left);
          byte[] chunk = new byte[want]; // owned by the message from here on: wrapped, not copied
          int got = in.readNBytes(chunk, 0, want);
          if (got < want) throw new IOException(file + " changed while it was being sent (shorter than listed)");
          left -= got;
          msg.addPieces(Piece.newBuilder().setHash(hash)
              .setData(UnsafeByteOperations.unsafeWrap(chunk))
              .setLast(left == 0));
          inMsg += got + PIECE_OVERHEAD;
          sent += got;
        } while (left > 0);
        if (in.read() >= 0) throw new IOException(file + " changed while it was being sent (longer than listed)");
      }
    }
    out.send(msg.setDone(true).build());
    return sent;
  }
}
