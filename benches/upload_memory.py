#!/usr/bin/env python3
"""Peak memory of `serve` while 8 officers each upload a 24 MB file at the same time.

    cargo build && python3 benches/upload_memory.py [path/to/pledgeflow]

Starts serve on a fresh SQLite database in a temporary folder (demo register), opens a
campaign, signs 8 officers in through their personal links, sends the 8 uploads with curl at
once and prints resident memory (current, peak) in MB before and after. Not part of cargo test.
"""
import subprocess, os, time, re, glob, threading, urllib.request, sys, tempfile
BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/pledgeflow"
WORK = tempfile.mkdtemp(prefix="pf-upload-memory-")
env=dict(os.environ, PLEDGEFLOW__DATABASE__URL=f"sqlite://{WORK}/db.sqlite", PLEDGEFLOW__SERVER__BIND="127.0.0.1:18181",
  PLEDGEFLOW__SERVER__BASE_URL="http://127.0.0.1:18181", PLEDGEFLOW__MAIL__FILE_DIR=f"{WORK}/mail", PLEDGEFLOW__ATTACHMENTS__DIR=f"{WORK}/att", RUST_LOG="error")
srv=subprocess.Popen([BIN,"serve"],env=env,stdout=open(f"{WORK}/log","w"),stderr=subprocess.STDOUT)
for _ in range(200):
    try: urllib.request.urlopen("http://127.0.0.1:18181/readyz"); break
    except Exception: time.sleep(0.1)
subprocess.run([BIN,"campaign","open","--name","Mem","--deadline","2099-01-01","--all"],env=env,capture_output=True)
time.sleep(3)
links=[]
for f in sorted(glob.glob(f"{WORK}/mail/*.eml")):
    m=re.search(r"http://127\.0\.0\.1:18181/u/[A-Za-z0-9_-]+", open(f,errors="ignore").read())
    if m and m.group(0) not in links: links.append(m.group(0))
links=links[:8]
print("links",len(links))
sessions=[]
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self,*a): return None
for l in links:
    try: urllib.request.build_opener(NoRedirect).open(l)
    except urllib.error.HTTPError as e:
        cookie=e.headers["set-cookie"].split(";")[0]; loc=e.headers["location"]
    req=urllib.request.Request("http://127.0.0.1:18181"+loc,headers={"Cookie":cookie})
    html=urllib.request.urlopen(req).read().decode()
    csrf=re.search(r'name="_csrf" value="([^"]+)"',html).group(1)
    sessions.append((cookie,loc,csrf))
def status():
    s=open(f"/proc/{srv.pid}/status").read()
    return int(re.search(r"VmRSS:\s+(\d+)",s).group(1))//1024,int(re.search(r"VmHWM:\s+(\d+)",s).group(1))//1024
print("before (MB current, peak)",status())
body_file=f"{WORK}/big.pdf"
with open(body_file,"wb") as f: f.write(b"%PDF-1.7\n"+b"x"*(24*1024*1024-9))
def up(s):
    cookie,loc,csrf=s
    r=subprocess.run(["curl","-s","-o","/dev/null","-w","%{http_code}","-H","Cookie: "+cookie,"-F","_csrf="+csrf,"-F","file=@"+body_file+";filename=big.pdf","-F","caption=c","-F","credit=c","http://127.0.0.1:18181"+loc+"/attachments"],capture_output=True,text=True)
    print(r.stdout,end=" ")
ts=[threading.Thread(target=up,args=(s,)) for s in sessions]
[t.start() for t in ts]; [t.join() for t in ts]
print()
print("after  (MB current, peak)",status())
srv.terminate(); srv.wait()
