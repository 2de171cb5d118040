-- ardour7-lua build_session.lua   (env: SESS_DIR, SESS_NAME; AUTOMATION: the lanes, see below)
--
-- A session at 48 kHz on the dummy backend with two stereo tracks: "EQ" carrying the VST3
-- "Tandem EQ", "Comp" carrying "Tandem Comp". AUTOMATION lists the automation, one lane per
-- line: "<track> <parameter name> <sample>=<plain value> <sample>=<plain value> ...", and
-- STATIC the fixed values, one per line: "<track> <parameter name> <plain value>". Parameters
-- are found by their names as Ardour lists them. Each lane is set to Play.
AudioEngine:set_backend("None (Dummy)", "", "")
local s = create_session(os.getenv("SESS_DIR"), os.getenv("SESS_NAME"), 48000)
assert(s, "create_session failed")

local procs = {}
for _, spec in ipairs({{"EQ", "Tandem EQ"}, {"Comp", "Tandem Comp"}}) do
  local tl = s:new_audio_track(2, 2, nil, 1, spec[1], ARDOUR.PresentationInfo.max_order,
    ARDOUR.TrackMode.Normal, true)
  local tr = tl:front()
  local proc = ARDOUR.LuaAPI.new_plugin(s, spec[2], ARDOUR.PluginType.VST3, "")
  assert(not proc:isnil(), "VST3 '" .. spec[2] .. "' not found (scanned? VST3_PATH?)")
  assert(tr:add_processor_by_index(proc, 0, nil, true) == 0, "add_processor failed")
  procs[spec[1]] = proc
end

local function index_of(proc, name)
  local plug = proc:to_insert():plugin(0)
  for i = 0, plug:parameter_count() - 1 do
    if plug:parameter_label(i) == name then return i end
  end
  error("no parameter named '" .. name .. "'")
end

for line in (os.getenv("STATIC") or ""):gmatch("[^\n]+") do
  local track, rest = line:match("^(%S+) (.+)$")
  local name, value = rest:match("^(.-) (%S+)$")
  local proc = procs[track]
  local i = index_of(proc, name)
  assert(ARDOUR.LuaAPI.set_processor_param(proc, i, tonumber(value)), "set " .. line)
  print("static", track, name, ARDOUR.LuaAPI.get_processor_param(proc, i, true))
end

for line in (os.getenv("AUTOMATION") or ""):gmatch("[^\n]+") do
  local track, rest = line:match("^(%S+) (.+)$")
  local name, points = rest:match("^(.-) (%d+=.+)$")
  local proc = procs[track]
  local i = index_of(proc, name)
  local al, cl, pd = ARDOUR.LuaAPI.plugin_automation(proc, i)
  assert(not al:isnil(), "no automation list for " .. name)
  -- Steps, not ramps: each point holds until the next.
  cl:set_interpolation(Evoral.InterpolationStyle.Discrete)
  for at, v in points:gmatch("(%d+)=(%S+)") do
    cl:add(Temporal.timepos_t(tonumber(at)), tonumber(v), false, false)
  end
  for e in cl:events():iter() do print("  point", e.when, e.value) end
  local ac = proc:to_insert():to_automatable():automation_control(
    Evoral.Parameter(ARDOUR.AutomationType.PluginAutomation, 0, i), false)
  ac:set_automation_state(ARDOUR.AutoState.Play)
  print("lane", track, name, "index", i, "points", cl:events():size())
end

ARDOUR.LuaAPI.usleep(500000) -- let the engine run a few cycles so the plugins take the values
s:save_state("", false, false, false, false, false)
close_session()
quit()
