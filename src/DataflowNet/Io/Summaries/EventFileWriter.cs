using System.Diagnostics;
using DataflowNet.Io.Proto;
using Google.Protobuf;

namespace DataflowNet.Io.Summaries;

/// <summary>
/// One TensorBoard event file, as TensorFlow's EventsWriter writes it: <c>events.out.tfevents.{unix seconds}.{host}</c>
/// in the log directory (created if missing), a TFRecord per <see cref="Event"/>, the first record an Event whose
/// file_version is "brain.Event:2". Events are buffered and reach the file on <see cref="Flush"/>, when
/// <c>maxQueue</c> events are waiting, and at the latest <c>flushSecs</c> after they were written (a timer, as
/// TensorFlow's writer thread). Thread-safe.
/// </summary>
internal sealed class EventFileWriter : IDisposable
{
    public const string FileVersion = "brain.Event:2";

    private readonly object _gate = new();
    private readonly TFRecordWriter _records;
    private readonly int _maxQueue;
    private readonly TimeSpan _flushInterval;
    private readonly Stopwatch _sinceFlush = Stopwatch.StartNew();
    private readonly Timer _timer;
    private int _pending;
    private bool _closed;

    public EventFileWriter(string logdir, int maxQueue = 10, double flushSecs = 120, string? filenameSuffix = null)
    {
        // Checked before the file exists: a timer that cannot be made must leave no open file behind.
        if (!(flushSecs > 0 && flushSecs <= int.MaxValue / 1000.0))
            throw new InvalidArgumentException($"flush_secs must be a positive number of seconds (at most {int.MaxValue / 1000}), got {flushSecs}.");
        Directory.CreateDirectory(logdir);
        var baseName = $"events.out.tfevents.{DateTimeOffset.UtcNow.ToUnixTimeSeconds():D10}.{System.Net.Dns.GetHostName()}{filenameSuffix}";
        // Two writers opened in one second in one directory would share TensorFlow's name: the second takes a suffix
        // instead of truncating the first's file (TensorBoard reads every file whose name contains "tfevents").
        FileStream? stream = null;
        for (int n = 0; stream is null; n++)
        {
            var path = Path.Combine(logdir, n == 0 ? baseName : $"{baseName}.{n}");
            try { stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024); FilePath = path; }
            catch (IOException) when (File.Exists(path) && n < 1000) { }
        }
        _records = new TFRecordWriter(stream);
        _maxQueue = Math.Max(1, maxQueue);
        _flushInterval = TimeSpan.FromSeconds(flushSecs);
        Write(new Event { WallTime = WallTime(), FileVersion = FileVersion });
        Flush();
        _timer = new Timer(_ => FlushPending(), null, _flushInterval, _flushInterval);
    }

    /// <summary>The file being written.</summary>
    public string FilePath { get; } = "";

    /// <summary>Seconds since the Unix epoch, as Python's time.time() gives them.</summary>
    public static double WallTime() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    public void Write(Event e)
    {
        var bytes = e.ToByteArray();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowTimerError();
            _records.Write(bytes);
            if (++_pending >= _maxQueue || _sinceFlush.Elapsed >= _flushInterval) FlushLocked();
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowTimerError();
            FlushLocked();
        }
    }

    /// <summary>
    /// The timer's flush: events waiting since the last flush reach the file, without waiting for more. It runs on a
    /// pool thread, where an exception would end the process (a full disk, a log folder deleted): the error is kept
    /// and thrown by the writer's next call instead.
    /// </summary>
    private void FlushPending()
    {
        lock (_gate)
        {
            if (_closed || _pending == 0 || _timerError is not null) return;
            try { FlushLocked(); }
            catch (Exception e) { _timerError = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
        }
    }

    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _timerError;

    /// <summary>Throws the error a timed flush hit, once.</summary>
    private void ThrowTimerError()
    {
        var error = _timerError;
        _timerError = null;
        error?.Throw();
    }

    private void FlushLocked()
    {
        _records.Flush();
        _pending = 0;
        _sinceFlush.Restart();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed) return;
            // Closed whatever the last flush does: a failed close must not leave a writer that accepts events.
            _closed = true;
            _timer.Dispose();
            try
            {
                ThrowTimerError();
                FlushLocked();
            }
            finally { _records.Dispose(); }
        }
    }
}
