using System.Text.RegularExpressions;

namespace DataflowNet;

/// <summary>Device names as TensorFlow writes them: /device:CPU:0, with the short forms /cpu:0 and /gpu:0.</summary>
public static partial class DeviceSpec
{
    [GeneratedRegex(@"^(?:/job:[^/]+)?(?:/replica:\d+)?(?:/task:\d+)?(?:/device:)?/?(?<type>cpu|gpu|CPU|GPU)(?::(?<index>\d+|\*))?$")]
    private static partial Regex Pattern();

    /// <summary>Canonical form, or "" for no device. Throws for a name that is not a device.</summary>
    public static string Normalize(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "";
        var m = Pattern().Match(name.Trim());
        if (!m.Success)
            throw new InvalidArgumentException($"'{name}' is not a device name; expected a form such as '/device:CPU:0', '/cpu:0' or '/gpu:0'.");
        var index = m.Groups["index"].Success ? m.Groups["index"].Value : "0";
        return $"/device:{m.Groups["type"].Value.ToUpperInvariant()}:{index}";
    }
}
