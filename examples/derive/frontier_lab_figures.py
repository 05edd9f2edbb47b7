# Derivation of the efficiencies (H100-equivalents per chip) and demand shapes in examples/frontier-lab.yaml from data/ (run: python3 examples/derive/frontier_lab_figures.py).
# The measured serving throughputs it reads (TensorRT-LLM, Neuron) set the serving ratios behind the rl and internal
# efficiencies; the example's own serving throughputs are estimated from first principles (docs/throughput.md), and its
# economics are derived in frontier_lab_economics.py.
# Prints the derived throughputs, efficiencies and shapes as JSON; the YAML comments cite the same rows.
import csv, collections, math, json
import os, sys
D=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data') + '/'
# ---- catalog figures (Epoch / vendor, as in src/catalog/catalog.cc)
FP8={'h100-sxm':1979,'h200':1979,'b200':4500,'gb200':5000,'tpu-v5e':197,'tpu-v6e':918,'tpu-v7':4614,'trn2':1299,'trn3':2517}  # v5e: BF16 (no FP8)
BF16={'h100-sxm':989.4,'h200':989.5,'b200':2250,'gb200':2500,'tpu-v5e':197,'tpu-v6e':918,'tpu-v7':2307,'trn2':667,'trn3':671}
BW={'h100-sxm':3.35,'h200':4.8,'b200':7.7,'gb200':8.0,'tpu-v5e':0.819,'tpu-v6e':1.64,'tpu-v7':7.37,'trn2':2.9,'trn3':4.9}
# ---- TRT-LLM rows, ISL 8192 / OSL 1024
t=list(csv.DictReader(open(D+'trtllm-perf-overview/trtllm_output_tput_per_gpu.csv')))
def trt(model,gpu,isl,osl):
    for x in t:
        if x['model']==model and x['gpu']==gpu and int(x['isl_tokens'])==isl and int(x['osl_tokens'])==osl:
            return float(x['output_tokens_per_sec_per_gpu'])
    return None
tiers={'small':'GPT-OSS 20B','medium':'GPT-OSS 120B','large':'Qwen3 235B A22B','frontier':'Deepseek R1 0528'}
gpus={'h100-sxm':'H100','h200':'H200','b200':'B200','gb200':'GB200'}
raw={}
for tier,m in tiers.items():
    raw[tier]={}
    for cid,g in gpus.items():
        v=trt(m,g,8192,1024)
        raw[tier][cid]=v
    print(tier,m,raw[tier])
# fill H100 large and H200 frontier from 1000/1000 ratios
r_l=trt('Qwen3 235B A22B','H100',1000,1000)/trt('Qwen3 235B A22B','H200',1000,1000)
raw['large']['h100-sxm']=raw['large']['h200']*r_l
print('large H100 = H200 8192/1024 %.0f x (H100/H200 at 1000/1000 = %.0f/%.0f = %.3f) = %.0f'%(raw['large']['h200'],trt('Qwen3 235B A22B','H100',1000,1000),trt('Qwen3 235B A22B','H200',1000,1000),r_l,raw['large']['h100-sxm']))
r_f=trt('Deepseek R1 0528','H200',1000,1000)/trt('Deepseek R1 0528','B200',1000,1000)
raw['frontier']['h200']=raw['frontier']['b200']*r_f
print('frontier H200 = B200 8192/1024 %.0f x (H200/B200 at 1000/1000 = %.0f/%.0f = %.3f) = %.0f'%(raw['frontier']['b200'],trt('Deepseek R1 0528','H200',1000,1000),trt('Deepseek R1 0528','B200',1000,1000),r_f,raw['frontier']['h200']))
# ---- validation of the hardware-scaling rule on H200/H100 (both FP8)
hw=lambda c,ref: math.sqrt(FP8[c]/FP8[ref]*BW[c]/BW[ref])
print('rule H200/H100 = %.3f; measured 8192/1024:'%hw('h200','h100-sxm'), [round(raw[k]['h200']/raw[k]['h100-sxm'],3) for k in ['small','medium']], 'llama70b', round(trt('LLaMA v3.3 70B','H200',8192,1024)/trt('LLaMA v3.3 70B','H100',8192,1024),3))
# ---- Trainium software efficiency: Argonne H100 x4 vLLM Llama-3-70B bs1 io2048 vs Neuron trn1 bs1 in2048/out2048
a=list(csv.DictReader(open(D+'llm-inference-bench-argonne/All_results.csv')))
h=[x for x in a if x['Hardware']=='Nvidia H100 GPU' and x['Framework']=='vLLM' and x['Model']=='meta-llama/Meta-Llama-3-70B' and x['Input Output Length']=='2048' and x['Batch Size']=='1'][0]
h_out=float(h['Throughput'])/2/int(h['Num of Hardware'])   # total (in+out)/s -> output/s, per GPU
n=list(csv.DictReader(open(D+'aws-neuron-benchmarks/trn1_latency_data_decoder.csv')))
tr=[x for x in n if x['Model']=='Llama-3-70B' and x['Input Length']=='2048' and x['Output Length']=='2048'][0]
trn1_out=float(tr['Output Token Throughput (tokens/sec)'])/16
ratio=trn1_out/h_out; bwr=0.82/3.35
trn_eff=ratio/bwr
print('Argonne H100 bs1: %.2f total tok/s /2 /%s GPUs = %.2f out tok/s/GPU; trn1 bs1: %.2f /16 = %.3f; ratio %.3f; bandwidth ratio %.3f; software eff %.3f'%(float(h['Throughput']),h['Num of Hardware'],h_out,float(tr['Output Token Throughput (tokens/sec)']),trn1_out,ratio,bwr,trn_eff))
# MI300X vs H100, same source, for context
for bs in ['1','16','64']:
    m=[x for x in a if x['Hardware']=='AMD MI300X GPU' and x['Framework']=='vLLM' and x['Model']=='meta-llama/Meta-Llama-3-70B' and x['Input Output Length']=='2048' and x['Batch Size']==bs and x['Num of Hardware']=='4'][0]
    hh=[x for x in a if x['Hardware']=='Nvidia H100 GPU' and x['Framework']=='vLLM' and x['Model']=='meta-llama/Meta-Llama-3-70B' and x['Input Output Length']=='2048' and x['Batch Size']==bs and x['Num of Hardware']=='4'][0]
    print(' MI300X/H100 x4 vLLM 70B io2048 bs%s: %.1f/%.1f = %.2f (bandwidth ratio 1.58)'%(bs,float(m['Throughput']),float(hh['Throughput']),float(m['Throughput'])/float(hh['Throughput'])))
# ---- training: MFU
tt=list(csv.DictReader(open(D+'aws-neuron-benchmarks/trn1_training_data_decoder.csv')))
row=[x for x in tt if x['Model'].startswith('Llama-3.1-70B')][0]
seq=float(row[' Performance [seq/sec]']); nodes=int(row['Nodes']); L=int(row[' Sequence Length'])
tok=seq*L; chips=nodes*16; flops=6*70.6e9
mfu_trn=tok*flops/chips/190e12
print('trn1 70B pretrain: %.2f seq/s x %d = %.0f tok/s on %d chips; x 6 x 70.6e9 FLOP/token / 190e12 = MFU %.3f'%(seq,L,tok,chips,mfu_trn))
mfu_h100=(0.4042+0.410675)/2; mfu_tpu=(0.462+0.378)/2
print('H100 MFU (Llama 3.1-405B 0.4042, Nemotron-4 340B 0.4107) = %.3f; TPU MFU (PaLM v4 0.462, Gopher v3 0.378) = %.3f'%(mfu_h100,mfu_tpu))

# ================= part 2: the example's numbers =================
SLO=0.5
PLAT={'h100-sxm':'nv','h200':'nv','b200':'nv','gb200':'nv','tpu-v5e':'tpu','tpu-v6e':'tpu','tpu-v7':'tpu','trn2':'trn','trn3':'trn'}
SERVE_EFF={'tpu':0.8,'trn':round(trn_eff,2)}
ELIG={'small':['h100-sxm','h200','b200','gb200','tpu-v5e','tpu-v6e','tpu-v7','trn2','trn3'],
      'medium':['h100-sxm','h200','b200','gb200','tpu-v5e','tpu-v6e','tpu-v7','trn2','trn3'],
      'large':['h100-sxm','h200','b200','gb200','tpu-v6e','tpu-v7','trn2','trn3'],
      'frontier':['h200','b200','gb200','tpu-v7','trn2','trn3']}
TPUT={}; RAWX={}
for tier in tiers:
    TPUT[tier]={}; RAWX[tier]={}
    ref='h100-sxm' if tier!='frontier' else 'h200'
    for c in ELIG[tier]:
        if c in gpus:
            r=raw[tier][c]; how='TRT-LLM'
        else:
            f=hw(c,ref); r=raw[tier][ref]*f*SERVE_EFF[PLAT[c]]
            how='%s %.0f x hw %.3f x sw %.2f'%(ref,raw[tier][ref],f,SERVE_EFF[PLAT[c]])
        RAWX[tier][c]=r
        TPUT[tier][c]=round(r*SLO, -1 if r*SLO>=100 else 0)
        print('%-9s %-9s raw %7.0f  at SLO %6.0f   %s'%(tier,c,r,TPUT[tier][c],how))
mfu_ratio={'nv':1.0,'tpu':mfu_tpu/mfu_h100,'trn':mfu_trn/mfu_h100}
TRAIN={c:round(BF16[c]/BF16['h100-sxm']*mfu_ratio[PLAT[c]],2) for c in BF16}
print('pretrain eff', TRAIN)
SERVE_RATIO={c:RAWX['medium'][c]/RAWX['medium']['h100-sxm'] for c in ELIG['medium']}
RL={c:round(0.7*SERVE_RATIO[c]+0.3*TRAIN[c],2) for c in ['h200','b200','gb200','tpu-v6e','tpu-v7','trn2','trn3']}
print('rl eff', RL)
RES_SW={'nv':1.0,'tpu':0.8,'trn':0.6}
RES={c:round(TRAIN[c]/mfu_ratio[PLAT[c]]*RES_SW[PLAT[c]],2) for c in BF16}
print('research eff', RES)
INTERNAL={c:round(RAWX['large'][c]/RAWX['large']['h100-sxm'],2) for c in ELIG['large']}
print('internal eff', INTERNAL)
# ---- diurnal shapes
cw=list(csv.DictReader(open(D+'servegen-alibaba-bailian/client_windows.csv')))
by=collections.defaultdict(lambda: collections.defaultdict(list))
for x in cw:
    if x['category']!='language': continue
    by[(x['model'],x['client_id'])][(int(x['window_start_s'])%86400)//3600].append(float(x['rate_rps']))
inter=[]
for k,hh in by.items():
    hm=[sum(hh[h])/len(hh[h]) for h in range(24)]
    if max(hm)/max(min(hm),1e-9)>=5: inter.append(hm)
tot=[sum(hm[h] for hm in inter) for h in range(24)]; mean=sum(tot)/24
local=[v/mean for v in tot]
SHIFT=6  # local hour h -> UTC hour h+6 (US Central, UTC-6 in January)
utc=[local[(h-SHIFT)%24] for h in range(24)]
print('interactive shape (local)', [round(v,3) for v in local])
print('interactive shape (UTC)', [round(v,3) for v in utc])
ALPHA={'small':0.5,'medium':0.7,'large':0.8,'frontier':0.85}
SHAPE={}
for tier,a in ALPHA.items():
    s=[round(a*v+(1-a),3) for v in utc]
    err=round(24-sum(s),3); i=s.index(max(s)); s[i]=round(s[i]+err,3)
    SHAPE[tier]=s
    print(tier,'alpha',a,s,'sum %.3f peak/trough %.2f'%(sum(s),max(s)/min(s)))
# ---- month-to-month volatility: the total run-rate's, from the tiers'
# revenue shares w, shared-factor loadings l and volatilities sigma:
# var = (sum w l sigma)^2 + sum w^2 (1 - l^2) sigma^2 (docs/forecast.md, "The demand model").
SHARE={'small':0.06,'medium':0.50,'large':0.36,'frontier':0.08}
LOADING={'small':0.6,'medium':0.7,'large':0.8,'frontier':0.8}
def total_vol(sig):
    shared=sum(SHARE[t]*LOADING[t]*sig[t] for t in SHARE)
    return math.sqrt(shared**2+sum(SHARE[t]**2*(1-LOADING[t]**2)*sig[t]**2 for t in SHARE))
FITTED=0.202  # fungible backtest --monthly data/published-ai-demand/points.csv --monthly-fit: every series, no drift
BEFORE={'small':0.05,'medium':0.06,'large':0.08,'frontier':0.10}
k=FITTED/total_vol(BEFORE)
VOL={t:round(k*v,2) for t,v in BEFORE.items()}
print('total volatility before %.4f; fitted %.3f: each tier x%.2f ->'%(total_vol(BEFORE),FITTED,k),VOL,'total %.4f'%total_vol(VOL))
json.dump({'TPUT':TPUT,'TRAIN':TRAIN,'RL':RL,'RES':RES,'INTERNAL':INTERNAL,'SHAPE':SHAPE,'VOL':VOL},sys.stdout,indent=1)
