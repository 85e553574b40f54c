% Write the Octave MAT v5 golden fixtures under tests/fixtures/mat/v5/ and their manifest.
%
% Run from the repository root:
%
%     octave --no-gui --quiet tests/reference/make_mat_v5_golden.m
%
% Files written: octave_v6.mat (save -v6, uncompressed), octave_v7.mat (save -v7,
% compressed) and octave_manifest.json.
%
% Every numeric variable holds values given by a formula of its 0-based indices
% (i0, i1, ...), recorded in the manifest (same convention as make_mat_v5_golden.py):
%
%     value = offset + sum_d coef(d) * i_d        (then mod(value, m) when "mod" is given)
%
% e.g. s4(2,3,1,2) (MATLAB 1-based) = 0.5 + 1 + 20 + 0 + 1000 = 1021.5.
1;

function v = formula(shape, coef, offset, m)
  if prod(shape) == 0
    v = zeros(shape);
    return;
  end
  v = offset + zeros(shape);
  for d = 1:numel(shape)
    sz = ones(1, numel(shape));
    sz(d) = shape(d);
    v = v + coef(d) * reshape(0:shape(d) - 1, sz);
  end
  if nargin > 3 && ~isempty(m)
    v = mod(v, m);
  end
end

function s = spec(name, shape, cls, coef, offset, m, imcoef, imoffset)
  s = struct("name", name, "shape", shape, "dims", shape, "class", cls, ...
             "complex", nargin > 6, "re", struct("coef", coef, "offset", offset));
  if nargin > 5 && ~isempty(m)
    s.re.mod = m;
  end
  if nargin > 6
    s.im = struct("coef", imcoef, "offset", imoffset);
  end
end

function a = build(s)
  m = [];
  if isfield(s.re, "mod")
    m = s.re.mod;
  end
  re = formula(s.shape, s.re.coef, s.re.offset, m);
  if s.complex
    a = complex(re, formula(s.shape, s.im.coef, s.im.offset));
  else
    a = re;
  end
  if strcmp(s.class, "logical")
    a = a ~= 0;
  else
    a = cast(a, s.class);
  end
end

specs = {
  spec("s4", [5 4 2 3], "single", [1 10 100 1000], 0.5)
  spec("d3", [4 3 2], "double", [0.5 10 100], 0.25)
  spec("di", [3 4], "double", [1 10], 0)
  spec("cs", [3 2 2], "single", [1 10 100], 0.5, [], [-1 -10 -100], -0.25)
  spec("cd", [2 3], "double", [1 10], 0.125, [], [3 -7], 1)
  spec("L", [4 5], "logical", [1 1], 0, 2)
  spec("i16", [3 3], "int16", [1 -10], 5)
  spec("u8", [2 5], "uint8", [1 10], 0)
  spec("sc", [1 1], "double", [0 0], 3.25)
  spec("e", [0 0], "double", [0 0], 0)
  spec("es", [0 4], "single", [0 0], 0)
};

S = struct();
for k = 1:numel(specs)
  S.(specs{k}.name) = build(specs{k});
end
S.st = struct("a", 1.5, "b", "text");
S.c = {1, "two", single([1 2 3])};
S.str = "hello";
skipped = {struct("name", "st", "kind", "struct"), struct("name", "c", "kind", "cell"), ...
           struct("name", "str", "kind", "char")};

here = fileparts(mfilename("fullpath"));
if isempty(here)
  here = fullfile(pwd, "tests", "reference");
end
out = fullfile(here, "..", "fixtures", "mat", "v5");
save("-v6", fullfile(out, "octave_v6.mat"), "-struct", "S");
save("-v7", fullfile(out, "octave_v7.mat"), "-struct", "S");

% check: load back and compare
for f = {"octave_v6.mat", "octave_v7.mat"}
  T = load(fullfile(out, f{1}));
  for k = 1:numel(specs)
    s = specs{k};
    a = T.(s.name);
    if ~isequal(size(a), s.shape) || ~strcmp(class(a), s.class) || ~isequal(a, build(s)) ...
       || iscomplex(a) ~= s.complex
      error("mismatch in %s: %s", f{1}, s.name);
    end
  end
end

files = struct();
files.("octave_v6.mat") = struct("variables", {specs}, "skipped", {skipped}, "compressed", false);
files.("octave_v7.mat") = struct("variables", {specs}, "skipped", {skipped}, "compressed", true);
manifest = struct("generator", "tests/reference/make_mat_v5_golden.m", ...
                  "octave", OCTAVE_VERSION(), ...
                  "formula", ["value = offset + sum_d coef[d] * i_d over 0-based indices i_d, " ...
                              "then % mod when mod is given; complex: re and im parts; " ...
                              "logical: value != 0"], ...
                  "files", files);
fid = fopen(fullfile(out, "octave_manifest.json"), "w");
fputs(fid, jsonencode(manifest));
fputs(fid, "\n");
fclose(fid);
printf("wrote octave_v6.mat, octave_v7.mat, octave_manifest.json to %s\n", out);
