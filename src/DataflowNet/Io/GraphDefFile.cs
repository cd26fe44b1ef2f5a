using System.Text;
using Google.Protobuf;

namespace DataflowNet.Io.Proto;

/// <summary>Reading and writing a GraphDef as TensorFlow does: binary (<c>.pb</c>) or protobuf text (<c>.pbtxt</c>).</summary>
public sealed partial class GraphDef
{
    /// <summary>Reads a binary or text GraphDef file, told apart by its content.</summary>
    public static GraphDef Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return LooksLikeText(bytes) ? ParseText(Encoding.UTF8.GetString(bytes)) : ParseBinary(bytes, path);
    }

    /// <summary>Parses TensorFlow's protobuf text format.</summary>
    public static GraphDef ParseText(string text) => DataflowNet.Io.TextFormatParser.Parse<GraphDef>(text);

    /// <summary>Replaces this GraphDef's contents with the binary message in <paramref name="bytes"/> (TensorFlow's ParseFromString).</summary>
    public void ParseFromString(byte[] bytes)
    {
        var parsed = ParseBinary(bytes, "bytes");
        node_.Clear();
        versions_ = null;
        library_ = null;
        version_ = 0;
        _unknownFields = null;
        MergeFrom(parsed);
    }

    /// <summary>The binary message (TensorFlow's SerializeToString).</summary>
    public byte[] SerializeToString() => this.ToByteArray();

    /// <summary>The protobuf text format, as TensorFlow writes a <c>.pbtxt</c>.</summary>
    public string ToText() => DataflowNet.Io.TextFormatWriter.Print(this);

    private static GraphDef ParseBinary(byte[] bytes, string source)
    {
        try { return Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidArgumentException($"{source} is not a valid GraphDef: {e.Message}");
        }
    }

    /// <summary>
    /// Text when every byte is printable, whitespace or part of UTF-8; a binary GraphDef has field tags and lengths
    /// below 0x20 (0x12 for a node's op, for one) early on.
    /// </summary>
    internal static bool LooksLikeText(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes[..Math.Min(bytes.Length, 4096)])
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t') || b == 0x7F) return false;
        return true;
    }
}
