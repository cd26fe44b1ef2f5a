using DataflowNet.Io.Proto;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Reads TensorBoard event files independently of the library's writer: the TFRecord framing parsed by hand, every
/// CRC checked with a bit-at-a-time CRC-32C and TensorFlow's mask written out here, each record parsed as an Event.
/// </summary>
internal static class EventFiles
{
    public static uint Crc32C(ReadOnlySpan<byte> data) => BitwiseCrc32C.Compute(data);
    public static uint MaskedCrc(ReadOnlySpan<byte> data) => BitwiseCrc32C.Masked(data);

    private static ulong U64(ReadOnlySpan<byte> b)
    {
        ulong v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
        return v;
    }

    private static uint U32(ReadOnlySpan<byte> b) => (uint)(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24);

    /// <summary>The records of a TFRecord file, each checked against both of its CRCs.</summary>
    public static List<byte[]> ReadRecords(string path)
    {
        byte[] file;
        using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)) { file = new byte[s.Length]; s.ReadExactly(file); }
        var records = new List<byte[]>();
        int pos = 0;
        while (pos < file.Length)
        {
            Assert.That(file.Length - pos, Is.GreaterThanOrEqualTo(12), $"record header at byte {pos}");
            var header = file.AsSpan(pos, 8);
            var length = checked((int)U64(header));
            Assert.That(U32(file.AsSpan(pos + 8, 4)), Is.EqualTo(MaskedCrc(header)), $"length CRC of the record at byte {pos}");
            Assert.That(file.Length - pos - 12, Is.GreaterThanOrEqualTo(length + 4), $"record at byte {pos} is complete");
            var data = file.AsSpan(pos + 12, length);
            Assert.That(U32(file.AsSpan(pos + 12 + length, 4)), Is.EqualTo(MaskedCrc(data)), $"data CRC of the record at byte {pos}");
            records.Add(data.ToArray());
            pos += 12 + length + 4;
        }
        return records;
    }

    /// <summary>The top-level fields of a protobuf message, read from the wire format by hand: (number, wire type, payload).</summary>
    public static List<(int Field, int WireType, byte[] Payload)> Fields(byte[] message)
    {
        var fields = new List<(int, int, byte[])>();
        int pos = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                var b = message[pos++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
        }
        while (pos < message.Length)
        {
            var key = Varint();
            int field = (int)(key >> 3), wire = (int)(key & 7);
            int start = pos;
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: pos += 8; break;
                case 2: var n = (int)Varint(); start = pos; pos += n; break;
                case 5: pos += 4; break;
                default: Assert.Fail($"wire type {wire} at byte {start}"); break;
            }
            fields.Add((field, wire, message[start..pos]));
        }
        return fields;
    }

    public static List<Event> ReadEvents(string path) => ReadRecords(path).Select(r => Event.Parser.ParseFrom(r)).ToList();

    /// <summary>The one event file in <paramref name="logdir"/>.</summary>
    public static string Single(string logdir)
    {
        var files = Directory.GetFiles(logdir, "events.out.tfevents.*");
        Assert.That(files, Has.Length.EqualTo(1), $"event files in {logdir}");
        return files[0];
    }
}
