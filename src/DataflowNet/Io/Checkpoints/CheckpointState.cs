using DataflowNet.Io.Proto;

namespace DataflowNet.Io.Checkpoints;

/// <summary>
/// TensorFlow's <c>checkpoint</c> state file: a text-format <see cref="CheckpointState"/> beside the checkpoints of
/// a directory, naming the latest one and those still kept. Written to a temporary file and renamed into place, so a
/// reader sees the old state or the new one, never half of one.
/// </summary>
internal static class CheckpointStateFile
{
    public const string DefaultName = "checkpoint";

    /// <summary>
    /// The state in <paramref name="checkpointDir"/>, its relative paths made relative to that directory (as
    /// TensorFlow's get_checkpoint_state does); null when there is no state file or it does not parse.
    /// </summary>
    public static CheckpointState? Read(string checkpointDir, string? latestFilename = null)
    {
        var path = Path.Combine(checkpointDir, latestFilename ?? DefaultName);
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        CheckpointState state;
        try { state = TextFormatParser.Parse<CheckpointState>(text); }
        catch (DataflowException e)
        {
            Log.Warning($"{path}: not a valid checkpoint state file ({e.Message}).");
            return null;
        }
        if (state.ModelCheckpointPath.Length == 0)
        {
            Log.Warning($"{path}: the checkpoint state names no model_checkpoint_path.");
            return null;
        }
        if (!Path.IsPathRooted(state.ModelCheckpointPath))
            state.ModelCheckpointPath = Path.Combine(checkpointDir, state.ModelCheckpointPath);
        for (int i = 0; i < state.AllModelCheckpointPaths.Count; i++)
            if (!Path.IsPathRooted(state.AllModelCheckpointPaths[i]))
                state.AllModelCheckpointPaths[i] = Path.Combine(checkpointDir, state.AllModelCheckpointPaths[i]);
        return state;
    }

    /// <summary>
    /// Writes the state for <paramref name="modelCheckpointPath"/> (appended to <paramref name="allPaths"/> when it is
    /// not already last). With <paramref name="relative"/>, paths inside the directory are written relative to it.
    /// </summary>
    public static void Write(string saveDir, string modelCheckpointPath, IReadOnlyList<string> allPaths, IReadOnlyList<double> timestamps,
                             double lastPreservedTimestamp, bool relative, string? latestFilename = null)
    {
        var paths = allPaths.ToList();
        var times = timestamps.ToList();
        if (paths.Count == 0 || paths[^1] != modelCheckpointPath)
        {
            paths.Add(modelCheckpointPath);
            if (times.Count > 0) times.Add(times[^1]);
        }
        // A checkpoint saved under a relative path is named relative to the directory either way, as TensorFlow's
        // generate_checkpoint_state_proto does for a relative save directory: written as given, reading it back would
        // join the directory twice.
        string Shown(string p) => relative || !Path.IsPathRooted(p) ? Path.GetRelativePath(Path.GetFullPath(saveDir), Path.GetFullPath(p)) : p;
        var state = new CheckpointState { ModelCheckpointPath = Shown(modelCheckpointPath), LastPreservedTimestamp = lastPreservedTimestamp };
        state.AllModelCheckpointPaths.AddRange(paths.Select(Shown));
        if (times.Count == paths.Count) state.AllModelCheckpointTimestamps.AddRange(times);

        var path = Path.Combine(saveDir, latestFilename ?? DefaultName);
        var tmp = path + ".tmp" + Guid.NewGuid().ToString("N");
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(System.Text.Encoding.UTF8.GetBytes(TextFormatWriter.Print(state)));
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>The latest checkpoint's prefix when its index exists, else null (TensorFlow's latest_checkpoint).</summary>
    public static string? Latest(string checkpointDir, string? latestFilename = null)
    {
        var state = Read(checkpointDir, latestFilename);
        if (state is null) return null;
        if (TensorBundle.Exists(state.ModelCheckpointPath)) return state.ModelCheckpointPath;
        Log.Warning($"Couldn't match files for checkpoint {state.ModelCheckpointPath}");
        return null;
    }
}
