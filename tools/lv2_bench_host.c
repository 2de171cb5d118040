/*
 * lv2_bench_host: a minimal LV2 host that times only a plugin's run() loop.
 *
 *   lv2_bench_host URI INPUT.f32 RUNS [--block N] [--rate HZ] [--out OUT.wav]
 *                  [--lane symbol=KIND:CENTER:AMP:HZ:PHASE ...] [symbol=value ...]
 *
 * INPUT.f32 is planar stereo float32 (all of the left channel, then all of the right), as
 * written by tools/bench_lv2.py. The plugin is instantiated and activated for each run (not
 * timed), its control inputs get their defaults and then the given symbol=value overrides,
 * every audio port gets a block-sized buffer, atom ports get empty sequences, and the whole
 * signal is fed through run() in blocks (the audio ports are pointed into the signal and
 * output arrays, no copying). Only the loop of run() calls is timed, with the thread's CPU clock
 * (CLOCK_THREAD_CPUTIME_ID). Prints one JSON line: {"uri":..., "runs_ms":[...], "peak":...}.
 *
 * A lane automates one control port as a DAW would at every block: before each run() the port
 * is set to its value at the block's start time t (seconds), s = sin(2*pi*HZ*t + PHASE), by KIND
 * lin: CENTER + AMP*s; db: the linear gain of CENTER + AMP*s dB; oct: CENTER * 2^(AMP*s).
 * These are the lanes of `tandem bench`'s automated rows (cli/src/bench.rs). The lanes' values
 * for every block are computed before the timed loop (evaluating its automation curves is the
 * DAW's work, not the plugin's); the loop only stores them into the ports.
 *
 * Build: cc -O2 -o lv2_bench_host tools/lv2_bench_host.c $(pkg-config --cflags --libs lilv-0)
 */
#define _GNU_SOURCE
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char **uris;
static size_t n_uris;

static LV2_URID map_uri(LV2_URID_Map_Handle h, const char *uri) {
  (void)h;
  for (size_t i = 0; i < n_uris; i++)
    if (!strcmp(uris[i], uri)) return (LV2_URID)(i + 1);
  uris = realloc(uris, (n_uris + 1) * sizeof(char *));
  uris[n_uris] = strdup(uri);
  return (LV2_URID)(++n_uris);
}

static const char *unmap_uri(LV2_URID_Unmap_Handle h, LV2_URID id) {
  (void)h;
  return (id >= 1 && id <= n_uris) ? uris[id - 1] : NULL;
}

#define MAX_LANES 32
typedef struct {
  char symbol[64];
  char kind;
  double center, amp, hz, phase;
  uint32_t port;
} Lane;
static Lane lanes[MAX_LANES];
static int n_lanes;
static float lane_value(const Lane *l, double t) {
  double s = sin(2.0 * M_PI * l->hz * t + l->phase);
  switch (l->kind) {
    case 'd': return (float)pow(10.0, (l->center + l->amp * s) / 20.0);
    case 'o': return (float)(l->center * pow(2.0, l->amp * s));
    default: return (float)(l->center + l->amp * s);
  }
}
static double thread_cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define ATOM_CAP 65536

/* Before each run(): input atom ports get an empty sequence, output ones their capacity. */
static void reset_atoms(void **atom_bufs, const int *is_in, uint32_t n_ports, LV2_URID seq_type,
                        LV2_URID chunk_type) {
  for (uint32_t p = 0; p < n_ports; p++) {
    if (!atom_bufs[p]) continue;
    LV2_Atom *a = (LV2_Atom *)atom_bufs[p];
    if (is_in[p]) {
      a->size = sizeof(LV2_Atom_Sequence_Body);
      a->type = seq_type;
      ((LV2_Atom_Sequence *)a)->body.unit = 0;
      ((LV2_Atom_Sequence *)a)->body.pad = 0;
    } else {
      a->size = ATOM_CAP - sizeof(LV2_Atom);
      a->type = chunk_type;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s URI INPUT.f32 RUNS [--block N] [--rate HZ] [--out F.wav] [sym=val...]\n", argv[0]);
    return 2;
  }
  const char *uri = argv[1];
  const char *in_path = argv[2];
  int runs = atoi(argv[3]);
  uint32_t block = 1024;
  double rate = 48000.0;
  const char *out_path = NULL;
  int first_ctl = 4;
  while (first_ctl < argc && !strncmp(argv[first_ctl], "--", 2)) {
    if (first_ctl + 1 >= argc) break;
    if (!strcmp(argv[first_ctl], "--block")) block = (uint32_t)atoi(argv[first_ctl + 1]);
    else if (!strcmp(argv[first_ctl], "--rate")) rate = atof(argv[first_ctl + 1]);
    else if (!strcmp(argv[first_ctl], "--out")) out_path = argv[first_ctl + 1];
    else if (!strcmp(argv[first_ctl], "--lane")) {
      Lane *l = &lanes[n_lanes];
      char kind[8];
      if (n_lanes >= MAX_LANES ||
          sscanf(argv[first_ctl + 1], "%63[^=]=%7[^:]:%lf:%lf:%lf:%lf", l->symbol, kind, &l->center,
                 &l->amp, &l->hz, &l->phase) != 6 ||
          (strcmp(kind, "lin") && strcmp(kind, "db") && strcmp(kind, "oct"))) {
        fprintf(stderr, "bad lane %s\n", argv[first_ctl + 1]);
        return 2;
      }
      l->kind = kind[0];
      n_lanes++;
    }
    first_ctl += 2;
  }

  FILE *f = fopen(in_path, "rb");
  if (!f) { perror(in_path); return 1; }
  fseek(f, 0, SEEK_END);
  long bytes = ftell(f);
  fseek(f, 0, SEEK_SET);
  size_t frames = (size_t)bytes / sizeof(float) / 2;
  float *input = malloc(frames * 2 * sizeof(float));
  if (fread(input, sizeof(float), frames * 2, f) != frames * 2) { fprintf(stderr, "short read\n"); return 1; }
  fclose(f);
  float *output = calloc(frames * 2, sizeof(float));

  LilvWorld *world = lilv_world_new();
  lilv_world_load_all(world);
  const LilvPlugins *plugins = lilv_world_get_all_plugins(world);
  LilvNode *uri_node = lilv_new_uri(world, uri);
  const LilvPlugin *plugin = lilv_plugins_get_by_uri(plugins, uri_node);
  if (!plugin) { fprintf(stderr, "plugin not found: %s\n", uri); return 1; }

  LilvNode *audio_class = lilv_new_uri(world, LV2_CORE__AudioPort);
  LilvNode *atom_class = lilv_new_uri(world, LV2_ATOM__AtomPort);
  LilvNode *input_class = lilv_new_uri(world, LV2_CORE__InputPort);
  LilvNode *cv_class = lilv_new_uri(world, LV2_CORE__CVPort);

  uint32_t n_ports = lilv_plugin_get_num_ports(plugin);
  float *mins = calloc(n_ports, sizeof(float)), *maxs = calloc(n_ports, sizeof(float));
  float *defs = calloc(n_ports, sizeof(float));
  lilv_plugin_get_port_ranges_float(plugin, mins, maxs, defs);
  float *controls = calloc(n_ports, sizeof(float));
  for (uint32_t p = 0; p < n_ports; p++) controls[p] = isnan(defs[p]) ? 0.0f : defs[p];
  for (int a = first_ctl; a < argc; a++) {
    char *eq = strchr(argv[a], '=');
    if (!eq) { fprintf(stderr, "bad control %s\n", argv[a]); return 2; }
    *eq = 0;
    LilvNode *sym = lilv_new_string(world, argv[a]);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(plugin, sym);
    lilv_node_free(sym);
    if (!port) { fprintf(stderr, "no port %s\n", argv[a]); return 2; }
    controls[lilv_port_get_index(plugin, port)] = (float)atof(eq + 1);
  }

  for (int k = 0; k < n_lanes; k++) {
    LilvNode *sym = lilv_new_string(world, lanes[k].symbol);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(plugin, sym);
    lilv_node_free(sym);
    if (!port) { fprintf(stderr, "no port %s\n", lanes[k].symbol); return 2; }
    lanes[k].port = lilv_port_get_index(plugin, port);
    controls[lanes[k].port] = lane_value(&lanes[k], 0.0);
  }
  LV2_URID_Map map = {NULL, map_uri};
  LV2_URID_Unmap unmap = {NULL, unmap_uri};
  int32_t max_block = (int32_t)block, min_block = 1, nominal = (int32_t)block;
  float srate_f = (float)rate;
  LV2_URID atom_int = map_uri(NULL, LV2_ATOM__Int), atom_float = map_uri(NULL, LV2_ATOM__Float);
  LV2_Options_Option opts[] = {
      {LV2_OPTIONS_INSTANCE, 0, map_uri(NULL, LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t), atom_int, &max_block},
      {LV2_OPTIONS_INSTANCE, 0, map_uri(NULL, LV2_BUF_SIZE__minBlockLength), sizeof(int32_t), atom_int, &min_block},
      {LV2_OPTIONS_INSTANCE, 0, map_uri(NULL, LV2_BUF_SIZE__nominalBlockLength), sizeof(int32_t), atom_int, &nominal},
      {LV2_OPTIONS_INSTANCE, 0, map_uri(NULL, "http://lv2plug.in/ns/ext/parameters#sampleRate"), sizeof(float), atom_float, &srate_f},
      {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL}};
  LV2_Feature map_f = {LV2_URID__map, &map}, unmap_f = {LV2_URID__unmap, &unmap};
  LV2_Feature opt_f = {LV2_OPTIONS__options, opts};
  LV2_Feature bounded_f = {LV2_BUF_SIZE__boundedBlockLength, NULL};
  const LV2_Feature *features[] = {&map_f, &unmap_f, &opt_f, &bounded_f, NULL};

  LV2_URID seq_type = map_uri(NULL, LV2_ATOM__Sequence), chunk_type = map_uri(NULL, LV2_ATOM__Chunk);
  float **audio_bufs = calloc(n_ports, sizeof(float *));
  void **atom_bufs = calloc(n_ports, sizeof(void *));
  int *is_atom_in = calloc(n_ports, sizeof(int));
  int audio_in_idx[2] = {-1, -1}, audio_out_idx[2] = {-1, -1};
  int n_ain = 0, n_aout = 0;
  for (uint32_t p = 0; p < n_ports; p++) {
    const LilvPort *port = lilv_plugin_get_port_by_index(plugin, p);
    int in = lilv_port_is_a(plugin, port, input_class);
    if (lilv_port_is_a(plugin, port, audio_class) || lilv_port_is_a(plugin, port, cv_class)) {
      audio_bufs[p] = calloc(block, sizeof(float));
      if (lilv_port_is_a(plugin, port, audio_class)) {
        if (in && n_ain < 2) audio_in_idx[n_ain++] = (int)p;
        if (!in && n_aout < 2) audio_out_idx[n_aout++] = (int)p;
      }
    } else if (lilv_port_is_a(plugin, port, atom_class)) {
      atom_bufs[p] = calloc(1, ATOM_CAP);
      is_atom_in[p] = in;
    }
  }
  if (n_ain != 2 || n_aout != 2) { fprintf(stderr, "need a stereo plugin\n"); return 1; }

  /* Every lane's value at every block's start, computed once, untimed. */
  size_t n_blocks = (frames + block - 1) / block;
  float *lane_values = calloc(n_blocks * (size_t)(n_lanes > 0 ? n_lanes : 1), sizeof(float));
  if (!lane_values) { fprintf(stderr, "out of memory for the lanes\n"); return 1; }
  for (size_t b = 0; b < n_blocks; b++)
    for (int k = 0; k < n_lanes; k++)
      lane_values[b * n_lanes + k] = lane_value(&lanes[k], (double)(b * block) / rate);

  printf("{\"uri\":\"%s\",\"frames\":%zu,\"block\":%u,\"runs_ms\":[", uri, frames, block);
  double out_peak = 0.0;
  for (int r = 0; r < runs + 1; r++) {
    LilvInstance *inst = lilv_plugin_instantiate(plugin, rate, features);
    if (!inst) { fprintf(stderr, "instantiate failed\n"); return 1; }
    for (uint32_t p = 0; p < n_ports; p++) {
      if (audio_bufs[p]) lilv_instance_connect_port(inst, p, audio_bufs[p]);
      else if (atom_bufs[p]) lilv_instance_connect_port(inst, p, atom_bufs[p]);
      else lilv_instance_connect_port(inst, p, &controls[p]);
    }
    for (int k = 0; k < n_lanes; k++) controls[lanes[k].port] = lane_value(&lanes[k], 0.0);
    lilv_instance_activate(inst);
    /* Untimed pre-roll of 0.5 s of silence, so parameter smoothing from the defaults to the
       configuration has settled before the signal starts (x42 and LSP glide their controls). */
    {
      size_t pre = (size_t)(0.5 * rate);
      float *z = calloc(block, sizeof(float)), *sink = calloc(block, sizeof(float));
      float *sink2 = calloc(block, sizeof(float));
      lilv_instance_connect_port(inst, (uint32_t)audio_in_idx[0], z);
      lilv_instance_connect_port(inst, (uint32_t)audio_in_idx[1], z);
      lilv_instance_connect_port(inst, (uint32_t)audio_out_idx[0], sink);
      lilv_instance_connect_port(inst, (uint32_t)audio_out_idx[1], sink2);
      for (size_t pos = 0; pos < pre; pos += block) {
        reset_atoms(atom_bufs, is_atom_in, n_ports, seq_type, chunk_type);
        lilv_instance_run(inst, block);
      }
      free(z); free(sink); free(sink2);
    }
    double t0 = thread_cpu_ms();
    for (size_t pos = 0; pos < frames; pos += block) {
      uint32_t n = (uint32_t)((frames - pos) < block ? (frames - pos) : block);
      reset_atoms(atom_bufs, is_atom_in, n_ports, seq_type, chunk_type);
      for (int k = 0; k < n_lanes; k++)
        controls[lanes[k].port] = lane_values[(pos / block) * n_lanes + k];
      /* Zero-copy: the audio ports point straight into the signal (reconnecting between
         run() calls is allowed by LV2 and costs a pointer store). */
      lilv_instance_connect_port(inst, (uint32_t)audio_in_idx[0], input + pos);
      lilv_instance_connect_port(inst, (uint32_t)audio_in_idx[1], input + frames + pos);
      lilv_instance_connect_port(inst, (uint32_t)audio_out_idx[0], output + pos);
      lilv_instance_connect_port(inst, (uint32_t)audio_out_idx[1], output + frames + pos);
      lilv_instance_run(inst, n);
    }
    double ms = thread_cpu_ms() - t0;
    lilv_instance_deactivate(inst);
    lilv_instance_free(inst);
    if (r > 0) printf("%s%.3f", r > 1 ? "," : "", ms); /* run 0 is an untimed warm-up */
  }
  for (size_t i = 0; i < frames * 2; i++) {
    double v = fabs(output[i]);
    if (v > out_peak) out_peak = v;
  }
  printf("],\"out_sample_peak_dbfs\":%.3f}\n", out_peak > 0 ? 20.0 * log10(out_peak) : -999.0);

  if (out_path) {
    /* 32-bit float WAV, interleaved, of the last run's output. */
    FILE *w = fopen(out_path, "wb");
    if (!w) { perror(out_path); return 1; }
    uint32_t data_bytes = (uint32_t)(frames * 2 * 4), riff = 36 + data_bytes, fmt_len = 16, sr = (uint32_t)rate;
    uint16_t fmt = 3, ch = 2, bits = 32, align = 8;
    uint32_t byte_rate = sr * 8;
    fwrite("RIFF", 1, 4, w); fwrite(&riff, 4, 1, w); fwrite("WAVEfmt ", 1, 8, w);
    fwrite(&fmt_len, 4, 1, w); fwrite(&fmt, 2, 1, w); fwrite(&ch, 2, 1, w); fwrite(&sr, 4, 1, w);
    fwrite(&byte_rate, 4, 1, w); fwrite(&align, 2, 1, w); fwrite(&bits, 2, 1, w);
    fwrite("data", 1, 4, w); fwrite(&data_bytes, 4, 1, w);
    for (size_t i = 0; i < frames; i++) { fwrite(&output[i], 4, 1, w); fwrite(&output[frames + i], 4, 1, w); }
    fclose(w);
  }
  lilv_node_free(uri_node);
  lilv_world_free(world);
  return 0;
}
