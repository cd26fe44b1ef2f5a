using System.Text;
using System.Text.Json;
using NumSharp;

namespace DataflowNet.Cli;

/// <summary>
/// <c>dataflow run FILE --feed x=[[1,2]] --fetch y</c>: imports the graph, feeds placeholders from JSON literals or
/// .npy files (NumSharp's np.load and np.save read and write them), and prints the fetched values as JSON.
/// </summary>
internal static class RunCommand
{
    public static int Execute(Options o, TextWriter stdout, TextWriter stderr)
    {
        var path = o.File("run");
        var fetchNames = o.All("--fetch");
        if (fetchNames.Count == 0) throw new UsageError("run needs at least one --fetch NAME");
        var model = GraphModel.Load(GraphFile.Read(path));
        var graph = model.Graph ?? throw new CliError($"{path} cannot run in DataflowNet: {model.ImportError}.");

        var feeds = new FeedDict();
        var fed = new HashSet<Tensor>();
        foreach (var feed in o.All("--feed"))
        {
            var eq = feed.IndexOf('=');
            if (eq <= 0) throw new UsageError($"--feed takes NAME=VALUE, got '{feed}'");
            var tensor = Tensor(graph, feed[..eq]);
            if (!fed.Add(tensor)) throw new UsageError($"--feed gives {tensor.name} twice");
            feeds[tensor] = Value(feed[(eq + 1)..], tensor);
        }
        var fetches = fetchNames.Select(name => (Name: name, Fetch: name.Contains(':') ? (IFetchable)Tensor(graph, name) : Fetchable(graph, name))).ToList();

        using var sess = new Session(graph);
        if (o.Flags.Contains("--init"))
        {
            if (graph.get_operations().Any(op => op.name == "init")) sess.run(graph.get_operation_by_name("init"));
            else stderr.WriteLine("dataflow: note: --init given, but the graph has no op named 'init'");
        }
        var values = sess.run(fetches.Select(f => f.Fetch), feeds);

        var outDir = o.One("--out");
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] is not { } v) continue;
                if (v.dtype == DataType.String) throw new CliError($"{fetches[i].Name} is a string tensor, which .npy files written here cannot hold.");
                var file = Path.Combine(outDir, FileName(fetches[i].Name) + ".npy");
                using NDArray array = v;
                np.save(file, array);
                stdout.WriteLine($"wrote {file} ({v.dtype.Name()} {new TensorShape(v.shape)})");
            }
            return 0;
        }
        stdout.WriteLine(ToJson(fetches.Select(f => f.Name).ToList(), values));
        return 0;
    }

    private static Tensor Tensor(Graph graph, string name)
    {
        var full = name.Contains(':') ? name : name + ":0";
        try { return graph.get_tensor_by_name(full); }
        catch (DataflowException) { throw new CliError($"the graph has no tensor '{full}'."); }
    }

    /// <summary>An op name: its first output when it has one (as TensorFlow's sess.run("y:0")), else the op itself.</summary>
    private static IFetchable Fetchable(Graph graph, string name)
    {
        Operation op;
        try { op = graph.get_operation_by_name(name); }
        catch (DataflowException) { throw new CliError($"the graph has no op '{name}'."); }
        return op.outputs.Length > 0 ? op.outputs[0] : op;
    }

    private static string FileName(string fetch) => new(fetch.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    /// <summary>A feed value: a .npy file when the text names one, otherwise a JSON literal in the tensor's dtype.</summary>
    internal static object Value(string text, Tensor tensor)
    {
        if (text.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(text)) throw new CliError($"{text}: no such file.");
            try { return (NDArray)np.load(text); }
            catch (Exception e) when (e is not CliError) { throw new CliError($"{text} is not a readable .npy file: {GraphFile.FirstLine(e.Message)}"); }
        }
        JsonElement root;
        try { root = JsonDocument.Parse(text).RootElement; }
        catch (JsonException e) { throw new CliError($"feed {tensor.op.name}: '{text}' is neither JSON nor a .npy file ({GraphFile.FirstLine(e.Message)})."); }
        var leaves = new List<JsonElement>();
        var shape = new List<int>();
        Walk(root, shape, leaves, tensor.op.name);
        return Typed(tensor.dtype, leaves, shape.ToArray(), tensor.op.name);
    }

    /// <summary>The shape from the first elements down, then every element checked against it (a ragged list is an error).</summary>
    private static void Walk(JsonElement root, List<int> shape, List<JsonElement> leaves, string feed)
    {
        for (var e = root; e.ValueKind == JsonValueKind.Array; e = e[0])
        {
            shape.Add(e.GetArrayLength());
            if (e.GetArrayLength() == 0) break;
        }
        Check(root, 0);

        void Check(JsonElement e, int depth)
        {
            if (depth == shape.Count)
            {
                if (e.ValueKind == JsonValueKind.Array) throw new CliError($"feed {feed}: the JSON array is not rectangular.");
                leaves.Add(e);
                return;
            }
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != shape[depth])
                throw new CliError($"feed {feed}: the JSON array is not rectangular.");
            foreach (var item in e.EnumerateArray()) Check(item, depth + 1);
        }
    }

    private static TensorValue Typed(DataType dtype, List<JsonElement> leaves, int[] shape, string feed)
    {
        T[] Each<T>(Func<JsonElement, T?> read, string what) where T : struct =>
            leaves.Select(l => read(l) ?? throw new CliError($"feed {feed}: {l.GetRawText()} is not {what}.")).ToArray();
        // A number beyond the type's range is refused by name, not as .NET's FormatException.
        float? F32(JsonElement l) => l.ValueKind == JsonValueKind.Number ? (l.TryGetSingle(out var f) && float.IsFinite(f) ? f : null) : NamedFloat(l);
        double? F64(JsonElement l) => l.ValueKind == JsonValueKind.Number ? (l.TryGetDouble(out var d) && double.IsFinite(d) ? d : null) : NamedFloat(l);
        return dtype switch
        {
            DataType.Float32 => TensorValue.Create(Each(F32, "a float32"), shape),
            DataType.Float64 => TensorValue.Create(Each(F64, "a float64"), shape),
            DataType.Int32 => TensorValue.Create(Each(l => l.ValueKind == JsonValueKind.Number && l.TryGetInt32(out var v) ? v : (int?)null, "an int32"), shape),
            DataType.Int64 => TensorValue.Create(Each(l => l.ValueKind == JsonValueKind.Number && l.TryGetInt64(out var v) ? v : (long?)null, "an int64"), shape),
            DataType.UInt8 => TensorValue.Create(Each(l => l.ValueKind == JsonValueKind.Number && l.TryGetByte(out var v) ? v : (byte?)null, "a uint8"), shape),
            DataType.Bool => TensorValue.Create(Each(l => l.ValueKind is JsonValueKind.True or JsonValueKind.False ? l.GetBoolean() : (bool?)null, "a bool"), shape),
            DataType.String => TensorValue.Create(leaves.Select(l => l.ValueKind == JsonValueKind.String ? l.GetString()! : throw new CliError($"feed {feed}: {l.GetRawText()} is not a string.")).ToArray(), shape),
            _ => throw new CliError($"feed {feed}: cannot feed dtype {dtype.Name()}."),
        };
    }

    private static float? NamedFloat(JsonElement l) => l.ValueKind == JsonValueKind.String
        ? l.GetString() switch { "NaN" or "nan" => float.NaN, "Infinity" or "inf" => float.PositiveInfinity, "-Infinity" or "-inf" => float.NegativeInfinity, _ => null }
        : null;

    /// <summary>{"name": value, ...} with values as nested JSON arrays; NaN and infinities as strings, as Python's json writes them unquoted.</summary>
    internal static string ToJson(List<string> names, TensorValue?[] values)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            for (int i = 0; i < names.Count; i++)
            {
                w.WritePropertyName(names[i]);
                if (values[i] is { } v) WriteValue(w, v);
                else w.WriteNullValue();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter w, TensorValue v)
    {
        var shape = v.shape;
        Action<int> element = v.dtype switch
        {
            DataType.Float32 => Floats(v.ToArray<float>().Select(f => (double)f).ToArray(), single: true),
            DataType.Float64 => Floats(v.ToArray<double>(), single: false),
            DataType.Int32 => Ints(v.ToArray<int>().Select(x => (long)x).ToArray()),
            DataType.Int64 => Ints(v.ToArray<long>()),
            DataType.UInt8 => Ints(v.ToArray<byte>().Select(x => (long)x).ToArray()),
            DataType.Bool => Each(v.ToArray<bool>(), w.WriteBooleanValue),
            DataType.String => Each(v.ToArray<string>(), w.WriteStringValue),
            _ => throw new CliError($"cannot print dtype {v.dtype.Name()}."),
        };
        int next = 0;
        Nest(0);

        void Nest(int axis)
        {
            if (axis == shape.Length) { element(next++); return; }
            w.WriteStartArray();
            for (int i = 0; i < shape[axis]; i++) Nest(axis + 1);
            w.WriteEndArray();
        }

        Action<int> Floats(double[] data, bool single) => i =>
        {
            var d = data[i];
            if (double.IsNaN(d)) w.WriteStringValue("NaN");
            else if (double.IsInfinity(d)) w.WriteStringValue(d > 0 ? "Infinity" : "-Infinity");
            else if (single) w.WriteNumberValue((float)d);
            else w.WriteNumberValue(d);
        };
        Action<int> Ints(long[] data) => i => w.WriteNumberValue(data[i]);
        // The elements copied out once, not once per element (a million bools would copy a million arrays).
        static Action<int> Each<T>(T[] data, Action<T> write) => i => write(data[i]);
    }
}
