using DataflowNet.Io.Proto;
using DataflowNet.Io.Summaries;

namespace DataflowNet;

/// <summary>
/// TensorFlow 1's <c>tf.summary.FileWriter</c>: writes summaries and the graph into an event file in
/// <see cref="get_logdir"/> that TensorBoard reads (<c>tensorboard --logdir …</c>). Create it with
/// <c>tf.summary.FileWriter(logdir, graph)</c>, pass what a summary op returns to <see cref="add_summary(TensorValue, long?)"/>,
/// and dispose it (or <see cref="close"/>) at the end. Writes are buffered: they reach the file every
/// <c>max_queue</c> events, every <c>flush_secs</c> seconds, on <see cref="flush"/> and on <see cref="close"/>.
/// Thread-safe. Using it after <see cref="close"/> throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class FileWriter : IDisposable
{
    private readonly string _logdir;
    private readonly EventFileWriter _events;

    internal FileWriter(string logdir, Graph? graph, int max_queue, double flush_secs, string? filename_suffix)
    {
        ArgumentException.ThrowIfNullOrEmpty(logdir);
        _logdir = logdir;
        _events = new EventFileWriter(logdir, max_queue, flush_secs, filename_suffix);
        if (graph is not null) add_graph(graph);
    }

    /// <summary>The directory the event file is in.</summary>
    public string get_logdir() => _logdir;

    /// <summary>The event file being written (events.out.tfevents.{seconds}.{host}).</summary>
    public string path => _events.FilePath;

    /// <summary>
    /// Writes a summary at <paramref name="global_step"/>: the string scalar a summary op outputs (as
    /// <c>sess.run(merged)</c> returns it). A value that is not a serialized Summary is an
    /// <see cref="InvalidArgumentException"/>.
    /// </summary>
    public void add_summary(TensorValue summary, long? global_step = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (summary.dtype != DataType.String || summary.ndim != 0)
            throw new InvalidArgumentException($"add_summary needs the string scalar a summary op outputs (a serialized Summary), got a {summary.dtype.Name()} value of shape {TensorShape.Format(summary.Dims)}.");
        add_summary(ByteStrings.ToBytes(summary.Buffer<string>()[0], "The value given to add_summary"), global_step);
    }

    /// <summary>Writes a serialized Summary (TensorFlow's bytes form) at <paramref name="global_step"/>.</summary>
    public void add_summary(byte[] summary, long? global_step = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Summary parsed;
        try { parsed = Summary.Parser.ParseFrom(summary); }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new InvalidArgumentException($"add_summary was given {summary.Length} bytes that are not a serialized Summary: {e.Message}");
        }
        add_summary(parsed, global_step);
    }

    /// <summary>Writes a Summary message at <paramref name="global_step"/>.</summary>
    public void add_summary(Summary summary, long? global_step = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        add_event(new Event { Summary = summary }, global_step);
    }

    /// <summary>Writes the graph (Event.graph_def, a serialized GraphDef with each node's output shapes) for TensorBoard's graph view.</summary>
    public void add_graph(Graph graph, long? global_step = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        add_graph(graph.as_graph_def(add_shapes: true), global_step);
    }

    public void add_graph(GraphDef graph_def, long? global_step = null)
    {
        ArgumentNullException.ThrowIfNull(graph_def);
        add_event(new Event { GraphDef = Google.Protobuf.ByteString.CopyFrom(graph_def.SerializeToString()) }, global_step);
    }

    /// <summary>Writes a session status (START, STOP, CHECKPOINT) at <paramref name="global_step"/>.</summary>
    public void add_session_log(SessionLog session_log, long? global_step = null)
    {
        ArgumentNullException.ThrowIfNull(session_log);
        add_event(new Event { SessionLog = session_log }, global_step);
    }

    /// <summary>Writes an event as is, stamping its wall time when it has none.</summary>
    public void add_event(Event @event) => add_event(@event, null);

    private void add_event(Event e, long? global_step)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.WallTime == 0) e.WallTime = EventFileWriter.WallTime();
        if (global_step is { } step) e.Step = step;
        _events.Write(e);
    }

    /// <summary>Writes what is buffered to the file.</summary>
    public void flush() => _events.Flush();

    /// <summary>Flushes and closes the file. Closing twice is harmless.</summary>
    public void close() => _events.Dispose();

    public void Dispose() => close();
}
