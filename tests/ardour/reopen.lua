-- ardour7-lua reopen.lua   (env: SESS_DIR, SESS_NAME): loads the saved session and prints, per
-- plugin, "param|<track>|<name>|<plain value>" for every parameter,
-- then saves the session again, so a test can check what a reopened session restores.
AudioEngine:set_backend("None (Dummy)", "", "")
local s = load_session(os.getenv("SESS_DIR"), os.getenv("SESS_NAME"))
assert(s, "load_session failed")
ARDOUR.LuaAPI.usleep(300000)
for t in s:get_tracks():iter() do
  local proc = t:nth_plugin(0)
  if not proc:isnil() then
    local plug = proc:to_insert():plugin(0)
    for i = 0, plug:parameter_count() - 1 do
      local v = ARDOUR.LuaAPI.get_processor_param(proc, i, true)
      print("param|" .. t:name() .. "|" .. plug:parameter_label(i) .. "|" .. tostring(v))
    end
  end
end
-- Saved again: what a user's next save writes (the plugins' states come from the plugins).
s:save_state("", false, false, false, false, false)
close_session()
quit()
