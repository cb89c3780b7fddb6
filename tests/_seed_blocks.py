"""The blocks of the seed tutorials (shared/seeds/*.txt), in order, verbatim but for
trailing spaces: BLOCKS[seed] lists (kind, text). Kinds: "code" (runs here), "cuda" (needs
a GPU), "typo" (a typo in the tutorial makes it invalid Python; TYPO_FIXES mends it),
"output" (what the tutorial shows a block printing), "shell" (a pip command) and "scope"
(torchvision and CIFAR-10: out of scope). test_seeds.py runs and checks them."""

BLOCKS = {
    "000": [  # 000_fb4080d36cfeb722.txt
        # [0] line 23
        ("code", """import torch
import numpy as np

numpy_tensor = np.random.randn(3, 4)

pytorch_tensor1 = torch.Tensor(numpy_tensor)
pytorch_tensor2 = torch.from_numpy(numpy_tensor)

print(pytorch_tensor1)
print(pytorch_tensor2)"""),
        # [1] line 37
        ("output", """pytorch_tensor1:

tensor([[ 1.3511,  0.2016, -0.9728,  0.7997],
        [-1.0706, -0.0768, -1.3627, -0.8809],
        [-0.6040, -0.0030,  0.4871,  0.6634]])"""),
        # [2] line 45
        ("output", """pytorch_tensor2:

tensor([[ 1.3511,  0.2016, -0.9728,  0.7997],
        [-1.0706, -0.0768, -1.3627, -0.8809],
        [-0.6040, -0.0030,  0.4871,  0.6634]], dtype=torch.float64)"""),
        # [3] line 55
        ("code", """import torch
import numpy as np

numpy_tensor = np.random.randn(3, 4)
pytorch_tensor1 = torch.Tensor(numpy_tensor)
pytorch_tensor2 = torch.from_numpy(numpy_tensor)

# 如果pytorch tensor在cpu上
numpy_array1 = pytorch_tensor1.numpy()
numpy_array2 = pytorch_tensor2.cpu().numpy()

print(numpy_array1)
print(numpy_array2)"""),
        # [4] line 71
        ("output", """numpy_array1:

[[ 0.9646071   1.0680387  -1.4145772  -1.1733457 ]
 [ 0.14683424  0.15183815  0.3256755   2.5129247 ]
 [-1.0027096   0.02551154 -0.60790646 -0.22400694]]

 numpy_array2:

[[-2.09633392 -2.08986247  0.02169762  0.15833546]
 [ 1.24929483 -1.3953018   1.03153148 -0.06309232]
 [ 0.24348084 -1.42512446  1.45863934  0.92882537]]"""),
        # [5] line 87
        ("cuda", """# 第一种方式是定义cuda数据类型
dtype = torch.cuda.FloatTensor
gpu_tensor = torch.randn(10,20).type(dtype)

# 第二种方式更简单，推荐使用
gpu_tensor = torch.randn(10,20).cuda(0) # 将tensor放到第一个GPU上
gpu_tensor = torch.randn(10,20).cuda(1) # 将tensor放到第二个GPU上"""),
        # [6] line 105
        ("code", """import torch
import numpy as np

numpy_tensor = np.random.randn(3, 4)
pytorch_tensor1 = torch.Tensor(numpy_tensor)
pytorch_tensor2 = torch.from_numpy(numpy_tensor)

# 如果pytorch tensor在cpu上
numpy_array1 = pytorch_tensor1.numpy()
numpy_array2 = pytorch_tensor2.cpu().numpy()

print(numpy_array1)
print(numpy_array2)

print("输出数据模式1：")
# 第一种方式是定义cuda数据类型
dtype = torch.cuda.FloatTensor
gpu_tensor1 = torch.randn(3,4).type(dtype)

print(gpu_tensor1)

gpu_tensor2 = torch.randn(3,4).cuda(0) # 将tensor放到第一个GPU上

print("输出数据模式2：")
print(gpu_tensor2)"""),
    ],
    "001": [  # 001_d7eefdf3ce99b740.txt
        # [0] line 22
        ("shell", """pip3 install torch torchvision torchaudio"""),
        # [1] line 26
        ("code", """import torch

print(torch.cuda.is_available())"""),
        # [2] line 69
        ("code", """a = torch.ones(5)
print(a)
b = a.numpy()
print(b)"""),
        # [3] line 76
        ("output", """tensor([1., 1., 1., 1., 1.])
[1. 1. 1. 1. 1.]"""),
        # [4] line 81
        ("code", """a.add_(1)
print(a)
print(b)"""),
        # [5] line 87
        ("output", """tensor([2., 2., 2., 2., 2.])
[2. 2. 2. 2. 2.]"""),
        # [6] line 96
        ("code", """import numpy as np
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)"""),
        # [7] line 105
        ("output", """[2. 2. 2. 2. 2.]
tensor([2., 2., 2., 2., 2.], dtype=torch.float64)"""),
        # [8] line 116
        ("code", """# 当 CUDA 可用的时候，可用运行下方这段代码，采用 torch.device() 方法来改变 tensors 是否在 GPU 上进行计算操作
if torch.cuda.is_available():
    device = torch.device("cuda")          # 定义一个 CUDA 设备对象
    y = torch.ones_like(x, device=device)  # 显示创建在 GPU 上的一个 tensor
    x = x.to(device)                       # 也可以采用 .to("cuda")
    z = x + y
    print(z)
    print(z.to("cpu", torch.double))       # .to() 方法也可以改变数值类型"""),
        # [9] line 128
        ("output", """tensor([1.4549], device='cuda:0')
tensor([1.4549], dtype=torch.float64)"""),
    ],
    "002": [  # 002_ae68230fd50bb31e.txt
        # [0] line 54
        ("code", """from __future__ import print_function
import torch
import numpy as np"""),
        # [1] line 62
        ("code", """x = torch.empty(5, 3)
x"""),
        # [2] line 72
        ("code", """x = np.empty((5, 3))
x"""),
        # [3] line 82
        ("code", """x = torch.rand(5, 3)
x"""),
        # [4] line 92
        ("code", """x = np.random.rand(5, 3)
x"""),
        # [5] line 102
        ("code", """x = torch.zeros(5, 3, dtype=torch.long)
x"""),
        # [6] line 112
        ("code", """x = np.zeros((5, 3), dtype=np.long)
x"""),
        # [7] line 122
        ("code", """x = torch.tensor([5.5, 3])
x"""),
        # [8] line 132
        ("code", """x = np.array([5.5, 3])
x"""),
        # [9] line 142
        ("code", """x = torch.tensor([5.5, 3])
print(x)
x = x.new_ones(5, 3, dtype=torch.double)
print(x)
x = torch.randn_like(x, dtype=torch.float)
print(x)"""),
        # [10] line 156
        ("code", """x.size()"""),
        # [11] line 160
        ("code", """x.shape"""),
        # [12] line 176
        ("code", """x = np.array([5.5, 3])
print(x)
x = np.ones((5, 3), dtype=np.double)
print(x)
x = np.random.rand(*x.shape)
print(x)"""),
        # [13] line 190
        ("code", """x.shape"""),
        # [14] line 202
        ("code", """x = torch.rand(5, 3)
print(x)
y = torch.rand(5, 3)
print(y)
print(x + y)"""),
        # [15] line 215
        ("code", """x = np.random.rand(5, 3)
print(x)
y = np.random.rand(5, 3)
print(y)
print(x + y)"""),
        # [16] line 228
        ("code", """x = torch.rand(5, 3)
print(x)
y = torch.rand(5, 3)
print(y)
print(torch.add(x, y))
"""),
        # [17] line 242
        ("code", """x = np.random.rand(5, 3)
print(x)
y = np.random.rand(5, 3)
print(y)
print(np.add(x, y))
"""),
        # [18] line 256
        ("code", """x = torch.rand(5, 3)
print(x)
y = torch.rand(5, 3)
print(y)
result = torch.empty(5, 3)
print(result)
torch.add(x, y, out=result)
print(result)
"""),
        # [19] line 273
        ("code", """x = np.random.rand(5, 3)
print(x)
y = np.random.rand(5, 3)
print(y)
result = np.empty((5, 3))
print(result)
np.add(x, y, out=result)
print(result)
"""),
        # [20] line 295
        ("code", """x = torch.rand(5, 3)
print(x)
y = torch.rand(5, 3)
print(y)
print(id(y))
y.add_(x)
print(y)
print(id(y))
"""),
        # [21] line 312
        ("code", """x = torch.rand(5, 3)
print(x)
print(x[:, 1])
"""),
        # [22] line 324
        ("code", """x = np.random.rand(5, 3)
print(x)
print(x[:, 1])
"""),
        # [23] line 336
        ("code", """x = torch.randn(4, 4)
print(x)
y = x.view(16)
print(y)
z = x.view(-1, 8)
print(z)
print(x.size(), y.size(), z.size())
"""),
        # [24] line 347
        ("code", """x = torch.randn(4, 4)
print(x)
y = x.reshape(16)
print(y)
z = x.reshape(-1, 8)
print(z)
print(x.size(), y.size(), z.size())
"""),
        # [25] line 368
        ("code", """x = torch.rand(1)
print(x)
print(x.item())
"""),
        # [26] line 380
        ("code", """x = np.random.rand(1)
print(x)
print(x.item())
"""),
        # [27] line 403
        ("code", """a = torch.ones(5)
a
"""),
        # [28] line 412
        ("code", """b = a.numpy()
b
"""),
        # [29] line 423
        ("code", """a.add_(1)
a
"""),
        # [30] line 432
        ("code", """b
"""),
        # [31] line 445
        ("cuda", """a = torch.ones(5, device='cuda')
a
"""),
        # [32] line 454
        ("cuda", """b = a.numpy()
"""),
        # [33] line 462
        ("cuda", """b = a.cpu().numpy()
b
"""),
        # [34] line 473
        ("cuda", """a.add_(1)
a
"""),
        # [35] line 482
        ("cuda", """b
"""),
        # [36] line 494
        ("code", """a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)
"""),
        # [37] line 508
        ("cuda", """a = np.ones(5)
b = torch.from_numpy(a).cuda()
np.add(a, 1, out=a)
print(a)
print(b)
"""),
        # [38] line 532
        ("code", """# let us run this cell only if CUDA is available
# We will use ``torch.device`` objects to move tensors in and out of GPU
x = torch.rand(2, 3)
if torch.cuda.is_available():
    device = torch.device("cuda")          # a CUDA device object
    y = torch.ones_like(x, device=device)  # directly create a tensor on GPU
    x = x.to(device)                       # or just use strings ``.to("cuda")``
    z = x + y
    print(z)
    print(z.to("cpu", torch.double))       # ``.to`` can also change dtype together!
"""),
    ],
    "003": [  # 003_49fffafa504c6e97.txt
        # [0] line 27
        ("code", """import torch
# 张量
# =============================================================================
x = torch.Tensor(5,3)
print(x)
 #print(x.size(),type(x.size()))

# 操作
y = torch.rand(5,3)
# # =============================================================================
  # 法1
print(x + y)
  # 法2
print(torch.add(x,y))

  # 定义一个输出张量
result = torch.Tensor(5,3)
torch.add(x,y, out = result)
print(result)
  # in-place追加
y.add_(x)
print(y)
# # =============================================================================
print(y)
 #x.copy_(y)
 #print(x)
x.t_()
print(x)
print(x[:,1])
# ============================================================================="""),
        # [1] line 66
        ("code", """import torch
# =============================================================================
  # Nmupy 转换
a = torch.ones(5)
print(a)
b = a.numpy()
print(b)
 # 当给tensor a列表的每个值加一， numpys列表中的每个值加一
a.add_(1)
print(a)
print(b)"""),
        # [2] line 84
        ("code", """import torch
# =============================================================================
# 将numpy数组转换成Torch张量
import numpy as np
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)
a[0] = 333
print(a)
print(b)
## 结论和上面一样，无论是从tensor转换成numpy 还是反过来，都是一个内容修改，另一个也会变

# ============================================================================="""),
        # [3] line 111
        ("code", """# CUDA传感器
import torch
x = torch.Tensor(5,3)
y = torch.rand(5,3)
if torch.cuda.is_available():  # 判断cuda是否可用
  x = x.cuda()
  print(x)
  y = y.cuda()
  x + y"""),
        # [4] line 143
        ("code", """import torch
from torch.autograd import Variable
x = Variable(torch.ones(2,2),requires_grad= True)
print(x)"""),
        # [5] line 152
        ("output", """tensor([[1., 1.],
        [1., 1.]], requires_grad=True)"""),
        # [6] line 159
        ("code", """y = x + 2
print(y)"""),
        # [7] line 166
        ("output", """tensor([[3., 3.],
        [3., 3.]], grad_fn=<AddBackward0>)"""),
        # [8] line 173
        ("code", """print(y.creator)  # 报错，已替换为grad_fn
print(y.grad_fn)"""),
        # [9] line 180
        ("output", """<AddBackward0 object at 0x00000226055E8940>"""),
        # [10] line 186
        ("code", """z = y * y * 3
out = z.mean()
print(z,out)"""),
        # [11] line 194
        ("output", """tensor([[27., 27.],
        [27., 27.]], grad_fn=<MulBackward0>) tensor(27., grad_fn=<MeanBackward0>)"""),
        # [12] line 201
        ("code", """out.backward()"""),
        # [13] line 207
        ("code", """print(x.grad)"""),
        # [14] line 213
        ("output", """tensor([[4.5000, 4.5000],
        [4.5000, 4.5000]])"""),
        # [15] line 222
        ("code", """x = torch.rand(3)
x = Variable(x, requires_grad= True)
y = x * 2
while y.data.norm()< 1000:
    y = y * 2

print(y)"""),
        # [16] line 242
        ("output", """tensor([591.5636, 884.0807, 773.9807], grad_fn=<MulBackward0>)"""),
        # [17] line 246
        ("code", """gradients = torch.FloatTensor([0.1, 1.0, 0.0001])
y.backward(gradients)
print(x.grad)"""),
        # [18] line 254
        ("output", """ tensor([1.0240e+02, 1.0240e+03, 1.0240e-01])"""),
        # [19] line 268
        ("scope", """import torchvision
import torchvision.transforms as transforms
import torch


transform = transforms.Compose([transforms.ToTensor(),      # 转为tensor
                                transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))  # 归一化
                                ])
trainset = torchvision.datasets.CIFAR10(root="./data", train=True, download=True, transform=transform)
print(len(trainset))
trainloader = torch.utils.data.DataLoader(trainset, batch_size=4,
                                          shuffle=True, num_workers=2)

testset = torchvision.datasets.CIFAR10(root='./data', train=False, download=True, transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=4,
                                          shuffle=False, num_workers=2)
classes = ('plane', 'car', 'bird', 'cat',
           'deer', 'dog', 'frog', 'horse', 'ship', 'truck')
# img, target = trainset[0]
# print(img)

import matplotlib.pyplot as plt
import numpy as np
def imshow(img):
    img =img / 2 + 0.5  # unnormalize
    npimg = img.numpy()
    plt.imshow(np.transpose(npimg, (1,2,0)))
    plt.show()

if __name__ == '__main__':           # 开启多进程
    dataiter = iter(trainloader)
    images, labels = dataiter.next()
    imshow(torchvision.utils.make_grid(images))
    print(' '.join('%5s'%classes[labels[j]] for j in range(4)))"""),
    ],
    "004": [  # 004_22e6742ca9457d05.txt
        # [0] line 19
        ("typo", """from __future__ import print_function
import torch
#创建一个没有初始化的矩阵
x=torch.empty(5,3)
print(x)
#创建一个有初始化的矩阵
x=torch.rand（5,3)
print(x)
#创建一个全零矩阵并可指定数据元素的类型为long
x=torch.zeros(5,3,dtype=torch.long)
#直接通过数据创建张量
x=torch.tensor([2.5,3.5])
print(x)
#通过已有的一个张量创建相同尺寸的新张量,利用news_methods得到一个张量
x = x.new_ones(5,3,dtype=torch.double)
print(x)
#利用randn_like方法得到相同张量尺寸的一个新张量，并且采用随机初始化来对其赋值
y=torch.randn_like(x,dtype=torch.float)
print(y)
#得到张量的尺寸
print(x.size())
"""),
        # [1] line 54
        ("code", """from __future__ import print_function
import torch
x = x.new_ones(5,3,dtype=torch.double)
y = torch.rand(5,3)
print(x+y)
#第二种方式
print(torch.add(x,y))
#第三种方式
#提前设定一个空的张量
result = torch.empty(5,3)
#将空的张量作为加法的结果存储张量
torch.add(x,y,out=result)
print(result)
#第四种方式 in-place(原地转换)
y.add_(x)
print(y)
"""),
        # [2] line 82
        ("typo", """print(x[:,1]"""),
        # [3] line 88
        ("code", """x=torch.randn(4,4)
#tensor.view()操作需要保证数据元素的总数量不变
y=x.view(16)
#-1代表自动匹配个数
z=x.view(-1,8)
print(x.size(),y.size(),z.size())"""),
        # [4] line 99
        ("code", """x=torch.randn(1)
print(x)
print(x.item())"""),
        # [5] line 113
        ("code", """a = torch.ones(5)
print(a)
#将torch tensor转换成numpy array
b = a.numpy()
print(b)
#对其中一个进行加法操作，另一个也随之被改变
a.add_(1)
print(a)
print(b)"""),
        # [6] line 127
        ("code", """import numpy as np
a=np.ones(5)
b=torch.from_numpy(a)
np.add(a,1,out=a)
print(a)
print(b)"""),
        # [7] line 140
        ("code", """# 如果服务器上已经安装了GPU和CUDA
if torch.cuda.is_available():
 # 定义⼀个设备对象, 这⾥指定成CUDA, 即使⽤GPU
 device = torch.device("cuda")
 # 直接在GPU上创建⼀个Tensor
 y = torch.ones_like(x, device=device)
 # 将在CPU上⾯的x张量移动到GPU上⾯
 x = x.to(device)
 # x和y都在GPU上⾯, 才能⽀持加法运算
 z = x + y
 # 此处的张量z在GPU上⾯
 print(z)
 # 也可以将z转移到CPU上⾯, 并同时指定张量元素的数据类型
 print(z.to("cpu", torch.double))"""),
        # [8] line 243
        ("code", """x1=torch.ones(3,3)
print(x1)
x = torch.ones(2,2,requires_grad=True)
print(x)"""),
        # [9] line 252
        ("code", """y=x+2
print(y)"""),
        # [10] line 259
        ("code", """print(x.grad_fn)
print(y.grad_fn)"""),
        # [11] line 266
        ("code", """z=y*y*3
out=z.mean()
print(z,out)"""),
        # [12] line 276
        ("typo", """a = torch.randn(2, 2) a = ((a * 3) / (a - 1))
print(a.requires_grad)
a.requires_grad_(True)
print(a.requires_grad) b = (a * a).sum()
print(b.grad_fn)"""),
        # [13] line 288
        ("code", """z=y*y*3
out=z.mean()
out.backward()
print(x.grad)"""),
        # [14] line 299
        ("code", """print(x.requires_grad)
print((x ** 2).requires_grad)
with torch.no_grad():
 print((x ** 2).requires_grad)"""),
        # [15] line 308
        ("typo", """print(x.requires_grad) y = x.detach()
print(y.requires_grad)
print(x.eq(y).all())
"""),
    ],
}

# (seed, block) -> replacements that make a block with a typo valid Python.
TYPO_FIXES = {
    ("004", 0): [("torch.rand（5,3)", "torch.rand(5,3)")],  # a full-width parenthesis
    ("004", 2): [("print(x[:,1]", "print(x[:,1])")],  # the closing parenthesis is missing
    ("004", 12): [("torch.randn(2, 2) a = ", "torch.randn(2, 2)\na = "),  # two lines run together
                  ("print(a.requires_grad) b = ", "print(a.requires_grad)\nb = ")],
    ("004", 15): [("print(x.requires_grad) y = ", "print(x.requires_grad)\ny = ")],
}
