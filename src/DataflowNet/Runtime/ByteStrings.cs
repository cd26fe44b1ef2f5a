using System.Text;

namespace DataflowNet;

/// <summary>
/// Bytes in a string tensor. TensorFlow's strings are byte strings; here a string tensor holds .NET strings, so
/// binary data (a serialized <c>Summary</c>, as the summary ops output) is carried <b>one char per byte</b>: char
/// U+0000..U+00FF stands for the byte of the same value (ISO-8859-1, Latin-1). The round trip is lossless, and this
/// class is the one place that converts. Text (tags, names, string constants, GraphDef string values) stays ordinary
/// Unicode and is written as UTF-8; the two meet only if serialized bytes are put into a constant, which TensorFlow's
/// summary API never does.
/// </summary>
public static class ByteStrings
{
    /// <summary>The string that carries <paramref name="bytes"/>, one char per byte.</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>The bytes a string carries; null when a char is above U+00FF (the string is text, not bytes).</summary>
    public static byte[]? TryToBytes(string s)
    {
        foreach (var ch in s)
            if (ch > '\u00FF') return null;
        return Encoding.Latin1.GetBytes(s);
    }

    /// <summary>The bytes a string carries; an <see cref="InvalidArgumentException"/> naming <paramref name="what"/> when it is not one char per byte.</summary>
    public static byte[] ToBytes(string s, string what) =>
        TryToBytes(s) ?? throw new InvalidArgumentException($"{what} is not a byte string: it holds a char above U+00FF, so it is text rather than serialized bytes (see ByteStrings).");
}
