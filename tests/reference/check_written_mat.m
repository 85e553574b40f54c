% Describe MAT files as Octave's load() sees them, as one line of JSON on stdout.
%
% Usage: octave --no-gui --quiet tests/reference/check_written_mat.m FILE [FILE ...]
%
% Used by tests/mat/v5_test.ts to check files written by cmrxkit's MAT v5 writer. The JSON line
% is prefixed with "JSON: " (Octave may print other lines). For each file and variable:
% name, size (MATLAB dims), class, complex, first / last (up to 8 elements in column-major
% order; complex as [re, im] pairs), probe_index (0-based, floor(size/2)) and probe (the
% element there), sum (sum of double(x(:)); [re, im] when complex).
1;

function v = pairs(x)
  % numbers as a cell (so one element still encodes as a JSON array); complex as [re, im]
  x = double(x(:));
  v = cell(1, numel(x));
  for k = 1:numel(x)
    if iscomplex(x)
      v{k} = {real(x(k)), imag(x(k))};
    else
      v{k} = x(k);
    end
  end
end

files = argv();
out = cell(1, numel(files));
for f = 1:numel(files)
  S = load(files{f});
  names = fieldnames(S);
  vars = {};
  for k = 1:numel(names)
    a = S.(names{k});
    if ~(isnumeric(a) || islogical(a))
      continue;  % only numeric and logical variables are described
    end
    flat = a(:);
    n = numel(flat);
    idx = floor(size(a) / 2);
    r = struct("name", names{k}, "size", {num2cell(size(a))}, "class", class(a), ...
               "complex", iscomplex(a), "first", {pairs(flat(1:min(8, n)))}, ...
               "last", {pairs(flat(max(1, n - 7):n))}, "probe_index", {num2cell(idx)});
    if n > 0
      c = num2cell(idx + 1);
      r.probe = pairs(a(c{:})){1};
    else
      r.probe = [];
    end
    r.sum = pairs(sum(double(flat))){1};
    vars{end + 1} = r;
  end
  out{f} = struct("file", files{f}, "variables", {vars});
end
printf("JSON: %s\n", jsonencode(struct("octave", OCTAVE_VERSION(), "files", {out})));
