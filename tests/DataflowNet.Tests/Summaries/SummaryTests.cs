using System.Text.RegularExpressions;
using DataflowNet.Io.Proto;
using NUnit.Framework;

namespace DataflowNet.Tests;

public class SummaryTests : GraphTest
{
    private string _logdir = "";

    [SetUp]
    public void LogDir() => _logdir = Path.Combine(Path.GetTempPath(), "dfn-summary-" + Guid.NewGuid().ToString("N"), "run");

    [TearDown]
    public void RemoveLogDir()
    {
        var parent = Path.GetDirectoryName(_logdir)!;
        if (Directory.Exists(parent)) Directory.Delete(parent, recursive: true);
    }

    private static Summary Parse(TensorValue serialized)
    {
        Assert.That(serialized.dtype, Is.EqualTo(DataType.String));
        Assert.That(serialized.shape, Is.Empty);
        var s = (string)serialized;
        Assert.That(s.All(c => c <= '\u00FF'), "one char per byte");
        return Summary.Parser.ParseFrom(s.Select(c => (byte)c).ToArray());
    }

    /// <summary>TensorFlow's default histogram edges, rebuilt here from their definition.</summary>
    private static List<double> DefaultEdges()
    {
        var positive = new List<double>();
        for (double v = 1e-12; v < 1e20; v *= 1.1) positive.Add(v);
        positive.Add(double.MaxValue);
        var edges = positive.Select(v => -v).Reverse().ToList();
        edges.Add(0);
        edges.AddRange(positive);
        return edges;
    }

    // ---------- the event file ----------

    [Test]
    public void EventFileIsNamedAsTensorFlowNamesItAndStartsWithTheVersionEvent()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using (var writer = tf.summary.FileWriter(_logdir)) Assert.That(writer.get_logdir(), Is.EqualTo(_logdir));
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var path = EventFiles.Single(_logdir);
        var m = Regex.Match(Path.GetFileName(path), @"^events\.out\.tfevents\.(\d{10})\.(.+)$");
        Assert.That(m.Success, Path.GetFileName(path));
        Assert.That(long.Parse(m.Groups[1].Value), Is.InRange(before, after));
        Assert.That(m.Groups[2].Value, Is.EqualTo(System.Net.Dns.GetHostName()));
        var events = EventFiles.ReadEvents(path);
        Assert.That(events, Has.Count.EqualTo(1));
        Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"));
        Assert.That(events[0].Step, Is.EqualTo(0));
        Assert.That(events[0].WallTime, Is.InRange(before - 1.0, after + 1.0));
    }

    [Test]
    public void RecordFramingMatchesAKnownCrc()
    {
        // The CRC-32C check value of "123456789" is 0xE3069283: the test's own CRC is right before it checks the files.
        Assert.That(EventFiles.Crc32C("123456789"u8), Is.EqualTo(0xE3069283u));
        Assert.That(Io.Crc32C.Compute("123456789"u8), Is.EqualTo(0xE3069283u));
    }

    [Test]
    public void RecordsCarryTensorFlowsFieldNumbersOnTheWire()
    {
        // Read without the generated classes: the field numbers of TensorFlow's event.proto and summary.proto.
        var x = tf.constant(new[] { 1f, 2f }, name: "x");
        var merged = tf.summary.merge([tf.summary.scalar("loss", tf.constant(1.5f)), tf.summary.histogram("h", x)]);
        using (var sess = tf.Session())
        using (var writer = tf.summary.FileWriter(_logdir))
            writer.add_summary(sess.run(merged), 5);
        var records = EventFiles.ReadRecords(EventFiles.Single(_logdir));
        Assert.That(records, Has.Count.EqualTo(2));

        var version = EventFiles.Fields(records[0]);
        Assert.That(version.Select(f => (f.Field, f.WireType)), Is.EqualTo(new[] { (1, 1), (3, 2) }), "wall_time = 1 (double), file_version = 3");
        Assert.That(System.Text.Encoding.ASCII.GetString(version[1].Payload), Is.EqualTo("brain.Event:2"));

        var e = EventFiles.Fields(records[1]);
        Assert.That(e.Select(f => (f.Field, f.WireType)), Is.EqualTo(new[] { (1, 1), (2, 0), (5, 2) }), "wall_time = 1, step = 2, summary = 5");
        Assert.That(e[1].Payload, Is.EqualTo(new byte[] { 5 }));
        var values = EventFiles.Fields(e[2].Payload);
        Assert.That(values.Select(f => (f.Field, f.WireType)), Is.EqualTo(new[] { (1, 2), (1, 2) }), "Summary.value = 1, repeated");

        var scalar = EventFiles.Fields(values[0].Payload);
        Assert.That(scalar.Select(f => (f.Field, f.WireType)), Is.EqualTo(new[] { (1, 2), (2, 5) }), "tag = 1, simple_value = 2 (float)");
        Assert.That(System.Text.Encoding.ASCII.GetString(scalar[0].Payload), Is.EqualTo("loss"));
        Assert.That(BitConverter.ToSingle(scalar[1].Payload), Is.EqualTo(1.5f));

        var histogram = EventFiles.Fields(values[1].Payload);
        Assert.That(histogram.Select(f => (f.Field, f.WireType)), Is.EqualTo(new[] { (1, 2), (5, 2) }), "tag = 1, histo = 5");
        var histo = EventFiles.Fields(histogram[1].Payload);
        Assert.That(histo.Select(f => (f.Field, f.WireType)), Is.EqualTo(new[] { (1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (6, 2), (7, 2) }),
            "min, max, num, sum, sum_squares = 1..5 (double); bucket_limit = 6, bucket = 7 (packed)");
        Assert.That(histo.Take(5).Select(f => BitConverter.ToDouble(f.Payload)), Is.EqualTo(new[] { 1.0, 2.0, 2.0, 3.0, 5.0 }));
        var counts = Enumerable.Range(0, histo[6].Payload.Length / 8).Select(i => BitConverter.ToDouble(histo[6].Payload, 8 * i)).ToArray();
        Assert.That(counts, Is.EqualTo(new double[] { 0, 1, 0, 1, 0 }));
        Assert.That(histo[5].Payload, Has.Length.EqualTo(histo[6].Payload.Length), "one edge per count");
    }

    [Test]
    public void ScalarSummariesAreWrittenAtTheirSteps()
    {
        var x = tf.placeholder(tf.float32, shape: TensorShape.Scalar, name: "x");
        var s = tf.summary.scalar("loss", x);
        using (var sess = tf.Session())
        using (var writer = tf.summary.FileWriter(_logdir))
        {
            writer.add_summary(sess.run(s, (x, 2.5f)), 0);
            writer.add_summary(sess.run(s, (x, -1.25f)), 10);
            writer.add_summary(sess.run(s, (x, 1e-3f)), 20);
        }
        var events = EventFiles.ReadEvents(EventFiles.Single(_logdir));
        Assert.That(events, Has.Count.EqualTo(4));
        Assert.That(events.Skip(1).Select(e => e.Step), Is.EqualTo(new long[] { 0, 10, 20 }));
        Assert.That(events.Skip(1).Select(e => e.Summary.Value.Single().Tag), Is.All.EqualTo("loss"));
        Assert.That(events.Skip(1).Select(e => e.Summary.Value.Single().SimpleValue), Is.EqualTo(new[] { 2.5f, -1.25f, 1e-3f }));
        Assert.That(events.Skip(1).Select(e => e.WhatCase), Is.All.EqualTo(Event.WhatOneofCase.Summary));
    }

    [Test]
    public void SummaryBytesSurviveTheStringTensorLosslessly()
    {
        // -1.0f is 00 00 80 BF: bytes above 0x7F, which a UTF-8 round trip would mangle.
        var s = tf.summary.scalar("neg", tf.constant(-1.0f));
        var value = Eval(s);
        var bytes = ((string)value).Select(c => (byte)c).ToArray();
        Assert.That(bytes, Does.Contain((byte)0xBF));
        Assert.That(Summary.Parser.ParseFrom(bytes).Value.Single().SimpleValue, Is.EqualTo(-1.0f));
        Assert.That(ByteStrings.FromBytes(bytes), Is.EqualTo((string)value));
        Assert.That(ByteStrings.TryToBytes((string)value), Is.EqualTo(bytes));
        Assert.That(ByteStrings.TryToBytes("\u20AC"), Is.Null);
    }

    [Test]
    public void ScalarSummaryTakesIntegerAndDoubleValuesAsFloat32()
    {
        Assert.That(Parse(Eval(tf.summary.scalar("i", tf.constant(7)))).Value.Single().SimpleValue, Is.EqualTo(7f));
        Assert.That(Parse(Eval(tf.summary.scalar("d", tf.constant(0.1, dtype: tf.float64)))).Value.Single().SimpleValue, Is.EqualTo(0.1f));
        Assert.That(Parse(Eval(tf.summary.scalar("l", tf.constant(1L << 40)))).Value.Single().SimpleValue, Is.EqualTo((float)(1L << 40)));
    }

    [Test]
    public void TagsFollowNameScopesAndAreMadeUniqueAsTensorFlowMakesThem()
    {
        var v = tf.constant(1f);
        Tensor inScope;
        using (tf.name_scope("train")) inScope = tf.summary.scalar("loss", v);
        var first = tf.summary.scalar("loss", v);
        var second = tf.summary.scalar("loss", v);
        var cleaned = tf.summary.scalar("/my loss:1", v);
        var family = tf.summary.scalar("acc", v, family: "metrics");
        Assert.That(new[] { inScope, first, second, cleaned, family }.Select(t => t.op.name),
            Is.EqualTo(new[] { "train/loss", "loss", "loss_1", "my_loss_1", "metrics/acc" }));
        Assert.That(new[] { inScope, first, second, cleaned, family }.Select(t => Parse(Eval(t)).Value.Single().Tag),
            Is.EqualTo(new[] { "train/loss", "loss", "loss_1", "my_loss_1", "metrics/metrics/acc" }));
        Assert.That(inScope.op.type, Is.EqualTo("ScalarSummary"));
        Assert.That(tf.get_collection(tf.GraphKeys.SUMMARIES), Is.EqualTo(new object[] { inScope, first, second, cleaned, family }));
    }

    [Test]
    public void CollectionsArgumentReplacesTheSummariesCollection()
    {
        var s = tf.summary.scalar("x", tf.constant(1f), collections: ["mine"]);
        Assert.That(tf.get_collection(tf.GraphKeys.SUMMARIES), Is.Empty);
        Assert.That(tf.get_collection("mine"), Is.EqualTo(new object[] { s }));
        Assert.That(tf.summary.merge_all(), Is.Null);
        Assert.That(tf.summary.merge_all("mine"), Is.Not.Null);
    }

    // ---------- histograms ----------

    [Test]
    public void DefaultBucketEdgesAreTensorFlows()
    {
        var edges = DefaultEdges();
        Assert.That(Io.Summaries.Histogram.DefaultLimits, Is.EqualTo(edges));
        Assert.That(edges[0], Is.EqualTo(-double.MaxValue));
        Assert.That(edges[^1], Is.EqualTo(double.MaxValue));
        Assert.That(edges[edges.Count / 2], Is.EqualTo(0.0));
        Assert.That(edges[edges.Count / 2 + 1], Is.EqualTo(1e-12));
        Assert.That(edges, Has.Count.EqualTo(2 * 775 + 1), "774 edges of 1e-12·1.1^k below 1e20, DBL_MAX, each sign, and 0");
    }

    [Test]
    public void BucketLookupAgreesWithUpperBoundEverywhere()
    {
        // The table-driven lookup against the binary search of TensorFlow's rule (first edge greater than the value),
        // on every edge, its neighbours, and random values over the whole range of magnitudes, both signs.
        var edges = DefaultEdges();
        var probes = new List<double> { 0.0, -0.0, double.Epsilon, -double.Epsilon, double.MaxValue, -double.MaxValue, 1e-300, -1e-300, 1e30, -1e30 };
        foreach (var e in edges) probes.AddRange([e, Math.BitIncrement(e), Math.BitDecrement(e)]);
        var random = new Random(7);
        for (int i = 0; i < 50_000; i++) probes.Add((random.Next(2) == 0 ? -1 : 1) * Math.Pow(10, random.NextDouble() * 44 - 22));
        foreach (var v in probes.Where(double.IsFinite))
        {
            int expected = edges.FindIndex(e => e > v);
            if (expected < 0) expected = edges.Count - 1;
            if (Io.Summaries.Histogram.UpperBound(v) != expected || Io.Summaries.Histogram.BucketOf(v) != expected)
                Assert.Fail($"value {v:R}: expected bucket {expected}, binary search {Io.Summaries.Histogram.UpperBound(v)}, table {Io.Summaries.Histogram.BucketOf(v)}");
        }
        Assert.That(probes, Has.Count.GreaterThan(50_000));
    }

    [Test]
    public void HistogramCountsSumsAndCollapsesEmptyBuckets()
    {
        var values = new[] { -1f, 0f, 0.5f, 2f, 2f };
        var h = Parse(Eval(tf.summary.histogram("weights", tf.constant(values)))).Value.Single();
        Assert.That(h.Tag, Is.EqualTo("weights"));
        var p = h.Histo;
        Assert.That(p.Num, Is.EqualTo(5));
        Assert.That(p.Min, Is.EqualTo(-1));
        Assert.That(p.Max, Is.EqualTo(2));
        Assert.That(p.Sum, Is.EqualTo(3.5));
        Assert.That(p.SumSquares, Is.EqualTo(1 + 0 + 0.25 + 4 + 4));
        // Four occupied buckets, with a collapsed run of empty ones before, between and after them.
        Assert.That(p.Bucket, Is.EqualTo(new double[] { 0, 1, 0, 1, 0, 1, 0, 2, 0 }));
        Assert.That(p.BucketLimit, Has.Count.EqualTo(9));
        Assert.That(p.BucketLimit[^1], Is.EqualTo(double.MaxValue));
        Assert.That(p.BucketLimit[3], Is.EqualTo(1e-12), "0 falls in [0, 1e-12)");
        Assert.That(p.BucketLimit[2], Is.EqualTo(0.0), "the empty run before 0 ends at the edge 0");
        // Each value lies in [previous edge, edge) of its bucket: a collapsed run ends at the next bucket's left edge.
        var edges = DefaultEdges();
        foreach (var (value, index) in new[] { (-1.0, 1), (0.0, 3), (0.5, 5), (2.0, 7) })
        {
            Assert.That(value, Is.LessThan(p.BucketLimit[index]).And.GreaterThanOrEqualTo(p.BucketLimit[index - 1]), $"{value}");
            var edge = edges.IndexOf(p.BucketLimit[index]);
            Assert.That(edge, Is.GreaterThan(0), "an edge of the default buckets");
            Assert.That(edges[edge - 1], Is.EqualTo(p.BucketLimit[index - 1]), "the bucket is a single default bucket");
        }
        Assert.That(p.BucketLimit[7], Is.GreaterThan(2.0).And.LessThanOrEqualTo(2.0 * 1.1 * (1 + 1e-12)));
    }

    [Test]
    public void HistogramOfIntegersAndOfNothing()
    {
        var ints = Parse(Eval(tf.summary.histogram("ints", tf.constant(new[] { 3, 3, 3 })))).Value.Single().Histo;
        Assert.That((ints.Num, ints.Sum, ints.SumSquares, ints.Min, ints.Max), Is.EqualTo((3.0, 9.0, 27.0, 3.0, 3.0)));
        Assert.That(ints.Bucket, Is.EqualTo(new double[] { 0, 3, 0 }));

        var empty = Parse(Eval(tf.summary.histogram("empty", tf.zeros(new[] { 0 })))).Value.Single().Histo;
        Assert.That(empty.Num, Is.EqualTo(0));
        Assert.That(empty.BucketLimit, Is.EqualTo(new[] { double.MaxValue }));
        Assert.That(empty.Bucket, Is.EqualTo(new[] { 0.0 }));
        Assert.That((empty.Min, empty.Max), Is.EqualTo((double.MaxValue, -double.MaxValue)));
    }

    [Test]
    public void HistogramOfNanOrInfinityFailsNamingTheOp()
    {
        var x = tf.placeholder(tf.float32, name: "x");
        Tensor h;
        using (tf.name_scope("layer")) h = tf.summary.histogram("weights", x);
        using var sess = tf.Session();
        var nan = Assert.Throws<InvalidArgumentException>(() => sess.run(h, (x, new[] { 1f, float.NaN })))!;
        Assert.That(nan.Message, Does.StartWith("Nan in summary histogram for: layer/weights"));
        var inf = Assert.Throws<InvalidArgumentException>(() => sess.run(h, (x, new[] { float.NegativeInfinity })))!;
        Assert.That(inf.Message, Does.StartWith("Infinity in summary histogram for: layer/weights"));
    }

    // ---------- merging ----------

    [Test]
    public void MergeAllIsNullWithoutSummariesAndMergesEveryValueOtherwise()
    {
        Assert.That(tf.summary.merge_all(), Is.Null);
        var x = tf.placeholder(tf.float32, shape: new[] { 3 }, name: "input");
        tf.summary.scalar("mean", tf.reduce_mean(x));
        tf.summary.histogram("x", x);
        var merged = tf.summary.merge_all()!;
        Assert.That(merged.op.name, Is.EqualTo("Merge/MergeSummary"));
        Assert.That(merged.op.type, Is.EqualTo("MergeSummary"));
        Assert.That(merged.shape, Is.EqualTo(TensorShape.Scalar));
        Assert.That(tf.get_collection(tf.GraphKeys.SUMMARIES), Has.Count.EqualTo(2), "a merge is not collected by default");

        var s = Parse(Eval(merged, new FeedDict { [x] = new[] { 1f, 2f, 6f } }));
        // The reduction's op is "Mean", and names are unique regardless of case (as TensorFlow's), so the tag is mean_1.
        Assert.That(s.Value.Select(v => v.Tag), Is.EqualTo(new[] { "mean_1", "x" }));
        Assert.That(s.Value[0].SimpleValue, Is.EqualTo(3f));
        Assert.That(s.Value[1].Histo.Sum, Is.EqualTo(9));
        Assert.That(tf.summary.merge([merged], name: "again").op.name, Is.EqualTo("again/again"));
    }

    [Test]
    public void MergeAllFiltersByScope()
    {
        using (tf.name_scope("train")) tf.summary.scalar("loss", tf.constant(1f));
        using (tf.name_scope("test")) tf.summary.scalar("loss", tf.constant(2f));
        var s = Parse(Eval(tf.summary.merge_all(scope: "test")!));
        Assert.That(s.Value.Select(v => v.Tag), Is.EqualTo(new[] { "test/loss" }));
    }

    [Test]
    public void MergeFailsOnADuplicateTagOrOnBytesThatAreNotASummary()
    {
        var a = tf.summary.scalar("a", tf.constant(1f));
        var dup = tf.summary.merge([a, a]);
        var e = Assert.Throws<InvalidArgumentException>(() => Eval(dup))!;
        Assert.That(e.Message, Does.StartWith("Duplicate tag a found in summary inputs"));

        var fed = tf.placeholder(tf.@string, name: "fed");
        var merged = tf.summary.merge([fed, a]);
        using var sess = tf.Session();
        var other = Parse(sess.run(merged, (fed, Eval(tf.summary.scalar("b", tf.constant(5f))))));
        Assert.That(other.Value.Select(v => (v.Tag, v.SimpleValue)), Is.EqualTo(new[] { ("b", 5f), ("a", 1f) }));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => sess.run(merged, (fed, "\u20AC")))!.Message,
            Does.StartWith("Could not parse one of the summary inputs"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => sess.run(merged, (fed, "\u00FF\u00FF\u00FF")))!.Message,
            Does.StartWith("Could not parse one of the summary inputs"));
    }

    [Test]
    public void MergeOfNothingOrOfNumbersIsRefused()
    {
        Assert.That(Assert.Throws<InvalidArgumentException>(() => tf.summary.merge([]))!.Message, Does.Contain("at least one"));
        var e = Assert.Throws<InvalidArgumentException>(() => tf.summary.merge([tf.constant(1f)]))!;
        Assert.That(e.Message, Does.Contain("has dtype float32, not in the list of allowed values: string"));
    }

    // ---------- bad input to the summary ops ----------

    [Test]
    public void ScalarSummaryOfANonScalarFailsWhereItIsBuilt()
    {
        var e = Assert.Throws<InvalidArgumentException>(() => tf.summary.scalar("v", tf.constant(new[] { 1f, 2f })))!;
        Assert.That(e.Message, Does.StartWith("tags and values not the same shape: () != (2,)"));
        Assert.That(e.Message, Does.Contain("SummaryTests.cs"));
    }

    [Test]
    public void ScalarSummaryOfANonScalarFedAtRunTimeFailsNamingTheTag()
    {
        var x = tf.placeholder(tf.float32, name: "x");
        var s = tf.summary.scalar("v", x);
        using var sess = tf.Session();
        var e = Assert.Throws<InvalidArgumentException>(() => sess.run(s, (x, new[] { 1f, 2f })))!;
        Assert.That(e.Message, Does.StartWith("tags and values not the same shape: () != (2,) (tag 'v')"));
    }

    [Test]
    public void SummariesOfStringsOrBoolsAreRefused()
    {
        Assert.That(Assert.Throws<InvalidArgumentException>(() => tf.summary.scalar("s", tf.constant("text")))!.Message,
            Does.Contain("has dtype string, not in the list of allowed values"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => tf.summary.histogram("b", tf.constant(new[] { true })))!.Message,
            Does.Contain("has dtype bool, not in the list of allowed values"));
        Assert.Throws<ArgumentException>(() => tf.summary.scalar("", tf.constant(1f)));
    }

    // ---------- the writer ----------

    [Test]
    public void GraphEventHoldsTheGraphDefWithOutputShapes()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 3), name: "x");
        var w = tf.Variable(tf.zeros((3, 2)), name: "w");
        var y = tf.matmul(x, w, name: "y");
        tf.summary.scalar("loss", tf.reduce_mean(y));
        using (var writer = tf.summary.FileWriter(_logdir, tf.get_default_graph())) { }

        var events = EventFiles.ReadEvents(EventFiles.Single(_logdir));
        Assert.That(events, Has.Count.EqualTo(2));
        Assert.That(events[1].WhatCase, Is.EqualTo(Event.WhatOneofCase.GraphDef));
        var def = GraphDef.Parser.ParseFrom(events[1].GraphDef);
        var names = def.Node.Select(n => n.Name).ToList();
        Assert.That(names, Is.EqualTo(tf.get_default_graph().get_operations().Select(o => o.name)));
        Assert.That(names, Does.Contain("x").And.Contain("w").And.Contain("y").And.Contain("loss").And.Contain("loss/tags"));
        Assert.That(def.Node.Single(n => n.Name == "loss").Op, Is.EqualTo("ScalarSummary"));
        Assert.That(def.Node.Single(n => n.Name == "loss").Input, Is.EqualTo(new[] { "loss/tags", "Mean" }));
        var shape = def.Node.Single(n => n.Name == "y").Attr["_output_shapes"].List.Shape.Single();
        Assert.That(shape.Dim.Select(d => d.Size), Is.EqualTo(new long[] { -1, 2 }));
    }

    [Test]
    public void TheGraphWrittenForTensorBoardImportsAndItsSummariesRun()
    {
        var x = tf.placeholder(tf.float32, shape: new[] { 2 }, name: "x");
        tf.summary.scalar("total", tf.reduce_sum(x));
        tf.summary.histogram("values", x);
        tf.summary.merge_all();
        var def = tf.get_default_graph().as_graph_def(add_shapes: true);

        var g = new Graph();
        using (g.as_default())
        {
            var imported = tf.import_graph_def(def, return_elements: ["x:0", "Merge/MergeSummary:0"]);
            using var sess = tf.Session(g);
            var s = Parse(sess.run((Tensor)imported[1], ((Tensor)imported[0], new[] { 1f, 2f })));
            Assert.That(s.Value.Select(v => v.Tag), Is.EqualTo(new[] { "total", "values" }), "the tags are the constants written at build time");
            Assert.That(s.Value[0].SimpleValue, Is.EqualTo(3f));
            Assert.That(s.Value[1].Histo.Num, Is.EqualTo(2));
        }
    }

    [Test]
    public void AddGraphAtAStepAndSessionLogs()
    {
        tf.constant(1f, name: "c");
        using (var writer = tf.summary.FileWriter(_logdir))
        {
            writer.add_graph(tf.get_default_graph(), global_step: 7);
            writer.add_session_log(new SessionLog { Status = SessionLog.Types.SessionStatus.Start }, 8);
        }
        var events = EventFiles.ReadEvents(EventFiles.Single(_logdir));
        Assert.That(events.Select(e => e.WhatCase), Is.EqualTo(new[] { Event.WhatOneofCase.FileVersion, Event.WhatOneofCase.GraphDef, Event.WhatOneofCase.SessionLog }));
        Assert.That(events.Select(e => e.Step), Is.EqualTo(new long[] { 0, 7, 8 }));
        Assert.That(GraphDef.Parser.ParseFrom(events[1].GraphDef).Node.Single().Name, Is.EqualTo("c"));
    }

    [Test]
    public void AddSummaryTakesBytesAndMessagesAndStampsWallTime()
    {
        var before = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        var message = new Summary { Value = { new Summary.Types.Value { Tag = "manual", SimpleValue = 4f } } };
        using (var writer = tf.summary.FileWriter(_logdir))
        {
            writer.add_summary(message, 1);
            writer.add_summary(Google.Protobuf.MessageExtensions.ToByteArray(message), 2);
            writer.add_summary(message);
        }
        var events = EventFiles.ReadEvents(EventFiles.Single(_logdir)).Skip(1).ToList();
        Assert.That(events.Select(e => e.Step), Is.EqualTo(new long[] { 1, 2, 0 }));
        Assert.That(events.Select(e => e.Summary), Is.All.EqualTo(message));
        Assert.That(events.Select(e => e.WallTime), Is.All.InRange(before - 1, before + 60));
    }

    [Test]
    public void FlushMakesEventsReadableBeforeClose()
    {
        using var writer = tf.summary.FileWriter(_logdir, flush_secs: 3600, max_queue: 1000);
        writer.add_summary(new Summary { Value = { new Summary.Types.Value { Tag = "t", SimpleValue = 1f } } }, 3);
        writer.flush();
        var events = EventFiles.ReadEvents(writer.path);
        Assert.That(events.Last().Step, Is.EqualTo(3));
        Assert.That(events.Last().Summary.Value.Single().Tag, Is.EqualTo("t"));
    }

    [Test]
    public void WaitingEventsReachTheFileAfterFlushSecs()
    {
        using var writer = tf.summary.FileWriter(_logdir, flush_secs: 0.2, max_queue: 1000);
        writer.add_summary(new Summary { Value = { new Summary.Types.Value { Tag = "t", SimpleValue = 1f } } }, 4);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (EventFiles.ReadEvents(writer.path).Count < 2 && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.That(EventFiles.ReadEvents(writer.path).Select(e => e.Step), Is.EqualTo(new long[] { 0, 4 }));
    }

    [Test]
    public void EveryMaxQueueEventsReachTheFile()
    {
        using var writer = tf.summary.FileWriter(_logdir, flush_secs: 3600, max_queue: 2);
        var s = new Summary { Value = { new Summary.Types.Value { Tag = "t", SimpleValue = 1f } } };
        writer.add_summary(s, 1);
        writer.add_summary(s, 2);
        Assert.That(EventFiles.ReadEvents(writer.path).Select(e => e.Step), Is.EqualTo(new long[] { 0, 1, 2 }));
    }

    [Test]
    public void TwoWritersInOneDirectoryKeepTheirOwnFiles()
    {
        using var a = tf.summary.FileWriter(_logdir);
        using var b = tf.summary.FileWriter(_logdir);
        Assert.That(a.path, Is.Not.EqualTo(b.path));
        a.add_summary(new Summary { Value = { new Summary.Types.Value { Tag = "a", SimpleValue = 1f } } }, 1);
        a.close();
        b.close();
        Assert.That(EventFiles.ReadEvents(a.path), Has.Count.EqualTo(2));
        Assert.That(EventFiles.ReadEvents(b.path), Has.Count.EqualTo(1));
    }

    [Test]
    public void AddSummaryRefusesWhatIsNotASerializedSummary()
    {
        using var writer = tf.summary.FileWriter(_logdir);
        var e = Assert.Throws<InvalidArgumentException>(() => writer.add_summary(Eval(tf.constant(1f)), 1))!;
        Assert.That(e.Message, Does.StartWith("add_summary needs the string scalar a summary op outputs (a serialized Summary), got a float32 value of shape ()"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => writer.add_summary(new byte[] { 0xFF, 0xFF, 0xFF }))!.Message,
            Does.StartWith("add_summary was given 3 bytes that are not a serialized Summary"));
        Assert.That(Assert.Throws<InvalidArgumentException>(() => writer.add_summary(TensorValue.Scalar("\u20AC")))!.Message,
            Does.StartWith("The value given to add_summary is not a byte string"));
        Assert.Throws<ArgumentNullException>(() => writer.add_summary((TensorValue)null!));
    }

    [Test]
    public void AClosedWriterRefusesMoreEvents()
    {
        var writer = tf.summary.FileWriter(_logdir);
        writer.close();
        writer.close();
        Assert.Throws<ObjectDisposedException>(() => writer.add_summary(new Summary(), 1));
        Assert.Throws<ObjectDisposedException>(() => writer.flush());
        Assert.That(EventFiles.ReadEvents(writer.path), Has.Count.EqualTo(1));
    }

    [Test]
    public void AFlushIntervalThatCannotBeTimedIsRefusedBeforeAnyFileIsOpened()
    {
        foreach (var bad in new[] { -1.0, 0.0, double.NaN, 1e12 })
        {
            var error = Assert.Throws<InvalidArgumentException>(() => tf.summary.FileWriter(_logdir, flush_secs: bad));
            Assert.That(error!.Message, Does.StartWith("flush_secs must be a positive number of seconds"));
        }
        Assert.That(Directory.Exists(_logdir) && Directory.EnumerateFiles(_logdir).Any(), Is.False, "no stray event file");
        using var fine = tf.summary.FileWriter(_logdir, flush_secs: 0.5);
        Assert.That(File.Exists(fine.get_logdir() is { } d ? Directory.EnumerateFiles(d).Single() : ""), Is.True);
    }
}
